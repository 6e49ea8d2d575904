/**
 * A job engine runs training and evaluation jobs somewhere: `EmbeddedEngine` in this process's worker
 * threads (nothing to install), `RedisEngine` on whichever `rcn worker` processes take them from a BullMQ
 * queue. Callers (the API's job manager, `rcn sweep`) see the same events from both.
 */
import type { JobData, JobOutcome, JobProgress } from './payload.js';

export type JobEvent =
  | { type: 'active'; id: string; worker: string }
  | { type: 'progress'; id: string; progress: JobProgress }
  | {
      type: 'ended';
      id: string;
      status: 'finished' | 'cancelled' | 'failed';
      result: JobOutcome['result'];
      error: string | null;
    };

export type JobListener = (e: JobEvent) => void;

export interface SubmitOptions {
  /** BullMQ priority: 1 is the highest, larger numbers wait (the embedded engine runs in order). */
  priority?: number;
}

export interface JobEngine {
  readonly name: 'embedded' | 'redis';
  /**
   * True when jobs outlive this process (they are in Redis and run on other machines): a restart must not
   * fail them, and closing must not stop them.
   */
  readonly durable: boolean;
  /** Enqueues a job; an id already known to the engine is not enqueued twice. */
  submit(id: string, data: JobData, opts?: SubmitOptions): Promise<void>;
  /** A queued job is dropped, a running one stopped cooperatively; an `ended` event follows. */
  cancel(id: string): Promise<void>;
  subscribe(fn: JobListener): () => void;
  /** Durable engines: how a job ended (for reconciling after the caller was away); null while open. */
  ended?(id: string): Promise<{ status: 'finished' | 'cancelled' | 'failed'; error: string | null } | null>;
  /** Stops taking jobs; the embedded engine also stops its running jobs (within `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/** Subscribers of an engine's events. */
export class Listeners {
  private readonly fns = new Set<JobListener>();
  add(fn: JobListener): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  emit(e: JobEvent): void {
    for (const fn of this.fns) fn(e);
  }
}

/** Progress is reported often (every step); callers that persist or send it get it this often at most. */
export function throttle<T>(ms: number, fn: (v: T) => void): { push(v: T): void; flush(): void } {
  let last = 0;
  let pending: { v: T } | null = null;
  return {
    push(v) {
      pending = { v };
      const now = Date.now();
      if (now - last >= ms) this.flush();
    },
    flush() {
      if (!pending) return;
      last = Date.now();
      const { v } = pending;
      pending = null;
      fn(v);
    },
  };
}
