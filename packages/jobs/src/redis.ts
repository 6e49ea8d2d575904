/**
 * The distributed engine: jobs go through a BullMQ queue on Redis; `rcn worker` processes on any machine
 * that sees the same runs folder take them. BullMQ gives what a home-made scheduler would get wrong: a lock
 * per active job renewed by its worker, stalled-job detection that hands a dead worker's job to another
 * (the runner then resumes from the run's latest checkpoint), retries with backoff, priorities, and
 * deduplication by job id.
 *
 * Cancelling a running job needs its worker: the producer publishes the job id on a Redis channel that
 * every worker listens to, and the one holding the job stops it (training saves `latest` first).
 */
import { hostname } from 'node:os';
import { DelayedError, Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { Listeners, throttle, type JobEngine, type JobListener, type SubmitOptions } from './engine.js';
import { parseJobData, type JobData, type JobOutcome } from './payload.js';
import { parseQueueUrl } from './queue-url.js';
import { runInThread, type ThreadJob } from './thread.js';

export const QUEUE_NAME = 'rcn-jobs';
const PROGRESS_MS = 1000;

function connect(url: string): Redis {
  // BullMQ's blocking commands must not be cut short by ioredis's per-request retry limit.
  return new Redis(parseQueueUrl(url), { maxRetriesPerRequest: null, lazyConnect: false });
}

const cancelChannel = (queue: string) => `${queue}:cancel`;

function outcomeOf(value: unknown): JobOutcome | null {
  const v = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  return v && typeof v === 'object' && 'status' in v ? (v as JobOutcome) : null;
}

export interface RedisEngineOptions {
  url: string;
  queue?: string;
  /** Attempts per job for errors a job throws (a dead worker's job is taken over, not counted here). */
  attempts?: number;
}

/** The producer side, used by the API and `rcn sweep`: enqueues, follows events, cancels. */
export class RedisEngine implements JobEngine {
  readonly name = 'redis';
  readonly durable = true;
  readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly conn: Redis;
  private readonly eventsConn: Redis;
  private readonly listeners = new Listeners();
  private readonly attempts: number;
  private readonly queueName: string;

  constructor(opts: RedisEngineOptions) {
    this.queueName = opts.queue ?? QUEUE_NAME;
    this.conn = connect(opts.url);
    this.queue = new Queue(this.queueName, { connection: this.conn });
    // QueueEvents blocks on its stream: a connection of its own.
    this.eventsConn = connect(opts.url);
    this.events = new QueueEvents(this.queueName, { connection: this.eventsConn });
    this.attempts = opts.attempts ?? 2;
    this.events.on('active', ({ jobId }) => this.listeners.emit({ type: 'active', id: jobId, worker: '' }));
    this.events.on('progress', ({ jobId, data }) => {
      if (data && typeof data === 'object')
        this.listeners.emit({ type: 'progress', id: jobId, progress: data as never });
    });
    this.events.on('completed', ({ jobId, returnvalue }) => {
      const o = outcomeOf(returnvalue);
      this.listeners.emit({
        type: 'ended',
        id: jobId,
        status: o?.status ?? 'finished',
        result: o?.result ?? null,
        error: null,
      });
    });
    this.events.on('failed', ({ jobId, failedReason }) => {
      // A failure with attempts left is retried: only the last one ends the job.
      void this.queue.getJob(jobId).then((job) => {
        if (job && job.attemptsMade < (job.opts.attempts ?? 1)) return;
        this.listeners.emit({
          type: 'ended',
          id: jobId,
          status: 'failed',
          result: null,
          error: failedReason,
        });
      });
    });
  }

  /** Resolves once Redis answers (a wrong URL fails here, not at the first job). */
  async ready(): Promise<void> {
    await this.queue.waitUntilReady();
    await this.events.waitUntilReady();
  }

  subscribe(fn: JobListener): () => void {
    return this.listeners.add(fn);
  }

  async submit(id: string, data: JobData, opts: SubmitOptions = {}): Promise<void> {
    parseJobData(data, `job ${id}`);
    await this.queue.add(data.kind, data, {
      jobId: id,
      priority: opts.priority,
      attempts: this.attempts,
      backoff: { type: 'exponential', delay: 10_000 },
      // Kept for `sweep status` and audits; results live in the run directories anyway.
      removeOnComplete: { age: 30 * 24 * 3600, count: 100_000 },
      removeOnFail: { age: 30 * 24 * 3600, count: 100_000 },
    });
  }

  /** The state of a job in the queue ('waiting', 'active', 'completed', 'failed', ...) or 'unknown'. */
  async state(id: string): Promise<string> {
    const job = await this.queue.getJob(id);
    return job ? await job.getState() : 'unknown';
  }

  /** Outcome of a job that has ended, for reconciling after the caller was away. */
  async ended(
    id: string,
  ): Promise<{ status: 'finished' | 'cancelled' | 'failed'; error: string | null } | null> {
    const job = await this.queue.getJob(id);
    if (!job) return null;
    const state = await job.getState();
    if (state === 'completed')
      return { status: outcomeOf(job.returnvalue)?.status ?? 'finished', error: null };
    if (state === 'failed') return { status: 'failed', error: job.failedReason };
    return null;
  }

  async cancel(id: string): Promise<void> {
    const job = await this.queue.getJob(id);
    if (!job) return;
    const state = await job.getState();
    if (state !== 'active') {
      try {
        await job.remove();
        this.listeners.emit({ type: 'ended', id, status: 'cancelled', result: null, error: null });
        return;
      } catch {
        // Taken by a worker meanwhile (locked): ask that worker.
      }
    }
    await this.conn.publish(cancelChannel(this.queueName), id);
  }

  async close(): Promise<void> {
    await this.events.close();
    await this.queue.close();
    this.conn.disconnect();
    this.eventsConn.disconnect();
  }
}

export interface QueueWorkerOptions {
  url: string;
  queue?: string;
  /** Jobs this process runs at once (each in its own thread). */
  concurrency?: number;
  /**
   * How long a job's lock lives without renewal; a worker that dies loses its job to another after about
   * this long plus one stalled check (same interval). Default 30 s.
   */
  lockMs?: number;
  /** Override the payload's runs / data folders (where this machine mounts the shared storage). */
  runsDir?: string;
  dataDir?: string;
  log?: (line: string) => void;
}

export interface QueueWorker {
  readonly name: string;
  /**
   * Stops taking jobs. Running jobs save a checkpoint and go back to the queue (another worker resumes
   * them), unless `finish` lets them run to the end.
   */
  close(opts?: { finish?: boolean }): Promise<void>;
}

function remap(data: JobData, o: QueueWorkerOptions): JobData {
  if (data.kind === 'train') {
    return {
      ...data,
      runsDir: o.runsDir ?? data.runsDir,
      config: { ...data.config, dataDir: o.dataDir ?? data.config.dataDir },
    };
  }
  return { ...data, dataDir: o.dataDir ?? data.dataDir };
}

/** `rcn worker --queue redis://...`: takes jobs until closed. */
export async function startQueueWorker(o: QueueWorkerOptions): Promise<QueueWorker> {
  const queueName = o.queue ?? QUEUE_NAME;
  const name = `${hostname()}:${process.pid}`;
  const log = o.log ?? (() => {});
  const conn = connect(o.url);
  const sub = connect(o.url);
  const running = new Map<string, ThreadJob>();
  let closing = false;

  await sub.subscribe(cancelChannel(queueName));
  sub.on('message', (_channel: string, id: string) => {
    const t = running.get(id);
    if (t) {
      log(`job ${id}: cancel requested`);
      t.cancel();
    }
  });

  const lockMs = o.lockMs ?? 30_000;
  const worker = new Worker(
    queueName,
    async (job: Job, token?: string) => {
      const id = job.id!;
      const data = remap(parseJobData(job.data, `job ${id}`), o);
      log(`job ${id} (${data.kind}${data.kind === 'train' ? ` ${data.runId}` : ''}): started`);
      const progress = throttle(
        PROGRESS_MS,
        (p: unknown) => void job.updateProgress(p as object).catch(() => {}),
      );
      const t = runInThread(id, data, { worker: name, onProgress: (p) => progress.push(p) });
      running.set(id, t);
      try {
        const outcome = await t.done;
        progress.flush();
        if (closing && outcome.status === 'cancelled') {
          // Stopped by this worker's shutdown, not by a user: back to the queue for another worker.
          log(`job ${id}: checkpoint saved, handed back to the queue`);
          await job.moveToDelayed(Date.now(), token);
          throw new DelayedError();
        }
        log(`job ${id}: ${outcome.status}`);
        return outcome;
      } finally {
        running.delete(id);
      }
    },
    {
      connection: conn,
      concurrency: o.concurrency ?? 1,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      // A job whose workers keep dying is failed after this many takeovers rather than looping forever.
      maxStalledCount: 3,
      name,
    },
  );
  worker.on('failed', (job, err) => {
    if (!(err instanceof DelayedError)) log(`job ${job?.id}: failed: ${err.message}`);
  });
  await worker.waitUntilReady();
  return {
    name,
    async close(opts = {}) {
      closing = true;
      if (!opts.finish) for (const t of running.values()) t.cancel();
      await worker.close();
      await sub.quit().catch(() => {});
      conn.disconnect();
    },
  };
}
