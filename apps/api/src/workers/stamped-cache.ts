/**
 * Per-worker LRU caches of loaded checkpoints (each holds model tensors): a checkpoint is reloaded when its
 * files change on disk, and evicted or replaced entries are disposed.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';

/** A checkpoint's identity on disk: a retrained or replaced checkpoint gets a new one. */
export function stampOf(dir: string): string {
  const s = statSync(join(dir, 'weights.bin'));
  return `${s.mtimeMs}:${s.size}`;
}

interface Stamped<T> {
  stamp: string;
  value: Promise<T>;
}

export type StampedCache<T> = LRUCache<string, Stamped<T>>;

export function stampedCache<T extends { dispose(): void }>(max: number): StampedCache<T> {
  return new LRUCache<string, Stamped<T>>({
    max,
    dispose: (v) => void v.value.then((x) => x.dispose()).catch(() => undefined),
  });
}

/** The entry under `key`, loaded again when the checkpoint in `dir` has changed (a failed load is not kept). */
export function cached<T extends { dispose(): void }>(
  cache: StampedCache<T>,
  key: string,
  dir: string,
  load: () => Promise<T>,
): Promise<T> {
  const stamp = stampOf(dir);
  const hit = cache.get(key);
  if (hit && hit.stamp === stamp) return hit.value;
  const value = load();
  cache.set(key, { stamp, value });
  value.catch(() => {
    if (cache.peek(key)?.value === value) cache.delete(key);
  });
  return value;
}
