/**
 * The Redis engine and queue worker, loaded when first asked for: BullMQ and ioredis take longer to import
 * than the rest of a server's start-up, and a server or CLI without a queue never needs them.
 */
import type { QueueWorker, QueueWorkerOptions, RedisEngine, RedisEngineOptions } from './redis.js';

/** A producer on the queue at `opts.url` (call `ready()` to wait for Redis). */
export async function openRedisEngine(opts: RedisEngineOptions): Promise<RedisEngine> {
  const { RedisEngine } = await import('./redis.js');
  return new RedisEngine(opts);
}

/** `pnpm cli worker --queue redis://...`: takes jobs until closed. */
export async function startQueueWorker(o: QueueWorkerOptions): Promise<QueueWorker> {
  return (await import('./redis.js')).startQueueWorker(o);
}
