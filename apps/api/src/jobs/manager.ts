/**
 * Job lifecycle: queued -> running -> finished | failed | cancelled, persisted in the store. Jobs run in
 * worker threads, at most `maxConcurrent` at once; progress is written to the store (throttled) so that
 * `job(id)` polling sees it, and listeners get every update for subscriptions.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { RunDir } from '@rcn/core';
import type { JobKind, JobProgress, JobRecord, Store } from '../store/types.js';
import { errorMessage } from '../util/errors.js';
import type { FromWorker, JobData } from './protocol.js';

const PROGRESS_WRITE_MS = 500;
/**
 * A cancelled job whose thread has not stopped by then is terminated. The trainer stops at the end of the
 * current step and saves; the bound only covers a thread that hangs (a full-width ResNet-12 step at 84 px
 * takes over a minute on two cores).
 */
const CANCEL_GRACE_MS = 300_000;

interface Active {
  worker: Worker | null;
  data: JobData;
  lastWrite: number;
  pending: JobProgress | null;
  cancelTimer?: NodeJS.Timeout;
  settled: boolean;
  /** Stopped because the server is shutting down, not by a user. */
  shutdown?: boolean;
}

export type JobListener = (job: JobRecord) => void;

export const SHUTDOWN_REASON =
  'the server was shut down while this job ran; a training run keeps its latest checkpoint (resume it with resumeTraining)';

export const RESTART_REASON =
  'the server stopped while this job was queued or running; its run keeps the last checkpoint (resume it with resumeTraining)';

export class JobManager {
  private readonly active = new Map<string, Active>();
  private readonly listeners = new Set<JobListener>();
  private closing = false;

  constructor(
    private readonly store: Store,
    private readonly maxConcurrent: number,
    private readonly runsDir: string,
  ) {}

  /** After a restart: jobs the previous process owned are failed, and their runs marked interrupted. */
  async recover(): Promise<JobRecord[]> {
    const lost = this.store.failUnfinished(RESTART_REASON);
    for (const job of lost) {
      if (job.kind !== 'train' || !job.runId) continue;
      try {
        const run = await RunDir.open(`${this.runsDir}/${job.runId}`);
        const s = await run.status();
        if (s && s.status === 'running')
          await run.writeStatus({
            ...s,
            status: 'interrupted',
            error: RESTART_REASON,
            updatedAt: new Date().toISOString(),
          });
      } catch {
        // The run never got as far as its directory: nothing to mark.
      }
    }
    return lost;
  }

  subscribe(fn: JobListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(job: JobRecord): void {
    for (const fn of this.listeners) fn(job);
  }

  get(id: string): JobRecord | null {
    return this.store.getJob(id);
  }

  /** Jobs queued or running. */
  openCount(): number {
    return this.store.listJobs({ status: ['queued', 'running'], limit: 1000 }).length;
  }

  submit(
    kind: JobKind,
    data: JobData,
    meta: { runId: string | null; checkpoint: string | null; config: unknown },
  ): JobRecord {
    const job = this.store.createJob({
      id: randomUUID(),
      kind,
      config: meta.config,
      runId: meta.runId,
      checkpoint: meta.checkpoint,
    });
    this.active.set(job.id, { worker: null, data, lastWrite: 0, pending: null, settled: false });
    this.emit(job);
    this.pump();
    return job;
  }

  private running(): number {
    return [...this.active.values()].filter((a) => a.worker).length;
  }

  private pump(): void {
    if (this.closing) return;
    for (const [id, a] of this.active) {
      if (this.running() >= this.maxConcurrent) return;
      if (!a.worker) this.start(id, a);
    }
  }

  private start(id: string, a: Active): void {
    const worker = new Worker(new URL('./job-worker.js', import.meta.url), { workerData: a.data });
    a.worker = worker;
    this.emit(this.store.updateJob(id, { status: 'running', startedAt: new Date().toISOString() }));
    worker.on('message', (m: FromWorker) => this.onMessage(id, a, m));
    worker.on('error', (e) => this.finish(id, a, 'failed', null, errorMessage(e)));
    worker.on('exit', (code) => {
      if (!a.settled) this.finish(id, a, 'failed', null, `job thread exited unexpectedly (code ${code})`);
    });
  }

  private onMessage(id: string, a: Active, m: FromWorker): void {
    switch (m.type) {
      case 'progress': {
        a.pending = m.progress;
        const now = Date.now();
        if (now - a.lastWrite >= PROGRESS_WRITE_MS) this.flush(id, a, now);
        break;
      }
      case 'done':
        this.finish(id, a, m.status, m.result, null);
        break;
      case 'error':
        this.finish(id, a, 'failed', null, m.message);
        break;
    }
  }

  private flush(id: string, a: Active, now = Date.now()): void {
    if (!a.pending) return;
    a.lastWrite = now;
    const progress = a.pending;
    a.pending = null;
    this.emit(this.store.updateJob(id, { progress }));
  }

  private finish(
    id: string,
    a: Active,
    status: 'finished' | 'failed' | 'cancelled',
    result: unknown,
    error: string | null,
  ): void {
    if (a.settled) return;
    a.settled = true;
    if (a.shutdown && status !== 'finished') {
      status = 'failed';
      error = SHUTDOWN_REASON;
    }
    clearTimeout(a.cancelTimer);
    this.flush(id, a);
    this.active.delete(id);
    const job = this.store.updateJob(id, { status, result, error, finishedAt: new Date().toISOString() });
    this.emit(job);
    void a.worker?.terminate();
    this.pump();
  }

  /** Cancels a queued job at once, a running one cooperatively (then forcibly after a grace period). */
  cancel(id: string): JobRecord | null {
    const a = this.active.get(id);
    if (!a) return this.store.getJob(id);
    if (!a.worker) {
      this.finish(id, a, 'cancelled', null, null);
    } else {
      a.worker.postMessage({ type: 'cancel' });
      a.cancelTimer ??= setTimeout(
        () => this.finish(id, a, 'cancelled', null, 'did not stop in time; thread terminated'),
        CANCEL_GRACE_MS,
      );
    }
    return this.store.getJob(id);
  }

  /**
   * Server shutdown: running jobs are asked to stop (training saves a `latest` checkpoint and marks its
   * run interrupted) and marked failed with the reason; threads still busy after `graceMs` are terminated,
   * and `recover()` on the next start fails whatever was left (as after a crash).
   */
  async close(graceMs = CANCEL_GRACE_MS): Promise<void> {
    this.closing = true;
    const running = [...this.active.entries()].filter(([, a]) => a.worker);
    for (const [id, a] of [...this.active.entries()].filter(([, x]) => !x.worker))
      this.finish(id, a, 'failed', null, SHUTDOWN_REASON);
    await Promise.all(
      running.map(
        ([, a]) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, graceMs);
            a.worker!.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            a.shutdown = true;
            a.worker!.postMessage({ type: 'cancel' });
          }),
      ),
    );
    await Promise.all(running.map(([, a]) => a.worker!.terminate()));
  }
}
