/**
 * The embedded engine: jobs run in worker threads of this process, at most `concurrency` at once, in the
 * order submitted. Nothing to install; state lives with the caller (the API's SQLite store).
 */
import { hostname } from 'node:os';
import { Listeners, type JobEngine, type JobListener } from './engine.js';
import type { JobData, JobOutcome } from './payload.js';
import { CANCEL_GRACE_MS, runInThread, type ThreadJob } from './thread.js';

interface Entry {
  id: string;
  data: JobData;
  thread: ThreadJob | null;
  cancelled: boolean;
}

export class EmbeddedEngine implements JobEngine {
  readonly name = 'embedded';
  readonly durable = false;
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Listeners();
  private closing = false;
  private readonly worker = `${hostname()}:${process.pid}`;

  constructor(private readonly concurrency = 1) {}

  subscribe(fn: JobListener): () => void {
    return this.listeners.add(fn);
  }

  async submit(id: string, data: JobData): Promise<void> {
    if (this.closing) throw new Error('the job engine is closing');
    if (this.entries.has(id)) return;
    this.entries.set(id, { id, data, thread: null, cancelled: false });
    this.pump();
  }

  /** Jobs queued or running here. */
  get open(): number {
    return this.entries.size;
  }

  private pump(): void {
    if (this.closing) return;
    for (const e of this.entries.values()) {
      const running = [...this.entries.values()].filter((x) => x.thread).length;
      if (running >= this.concurrency) return;
      if (!e.thread) this.start(e);
    }
  }

  private start(e: Entry): void {
    e.thread = runInThread(e.id, e.data, {
      worker: this.worker,
      onProgress: (progress) => this.listeners.emit({ type: 'progress', id: e.id, progress }),
    });
    this.listeners.emit({ type: 'active', id: e.id, worker: this.worker });
    e.thread.done.then(
      (o) => this.end(e, o.status, o.result, null),
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        if (e.cancelled)
          this.end(e, 'cancelled', null, `did not stop in time; thread terminated (${message})`);
        else this.end(e, 'failed', null, message);
      },
    );
  }

  private end(
    e: Entry,
    status: 'finished' | 'cancelled' | 'failed',
    result: JobOutcome['result'],
    error: string | null,
  ): void {
    if (!this.entries.delete(e.id)) return;
    this.listeners.emit({ type: 'ended', id: e.id, status, result, error });
    this.pump();
  }

  async cancel(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    e.cancelled = true;
    if (!e.thread) this.end(e, 'cancelled', null, null);
    else e.thread.cancel();
  }

  /** Waits for every submitted job to end. */
  async drain(): Promise<void> {
    while (this.entries.size) {
      await new Promise<void>((resolve) => {
        const off = this.subscribe((ev) => {
          if (ev.type === 'ended') {
            off();
            resolve();
          }
        });
      });
    }
  }

  async close(graceMs = CANCEL_GRACE_MS): Promise<void> {
    this.closing = true;
    const all = [...this.entries.values()];
    for (const e of all.filter((x) => !x.thread)) this.end(e, 'cancelled', null, null);
    const running = all.filter((x) => x.thread);
    await Promise.all(
      running.map(async (e) => {
        e.cancelled = true;
        e.thread!.cancel(graceMs);
        await e.thread!.done.catch(() => undefined);
      }),
    );
  }
}
