/**
 * Job lifecycle: queued -> running -> finished | failed | cancelled, persisted in the store. Execution
 * belongs to a core job engine: the embedded one (worker threads of this process, at most
 * `maxConcurrentJobs` at once) or, with `RCN_QUEUE=redis://...`, BullMQ on Redis, whose `rcn worker`s run
 * the jobs on any machine that shares the runs folder. Progress is written to the store (throttled) so
 * that `job(id)` polling sees it, and listeners get every update for subscriptions.
 */
import { randomUUID } from 'node:crypto';
import { currentOwner, deadOwnerReason, RunDir } from '@rcn/core';
import { CANCEL_GRACE_MS, type JobData, type JobEngine, type JobEvent } from '@rcn/jobs';
import type { JobKind, JobProgress, JobRecord, Store } from '../store/types.js';
import { errorMessage } from '../util/errors.js';

const PROGRESS_WRITE_MS = 500;

export type JobListener = (job: JobRecord) => void;

export const SHUTDOWN_REASON =
  'the server was shut down while this job ran; a training run keeps its latest checkpoint (resume it with resumeTraining)';

export const RESTART_REASON =
  'the server stopped while this job was queued or running; its run keeps the last checkpoint (resume it with resumeTraining)';

const FINAL = new Set(['finished', 'failed', 'cancelled']);

/**
 * How often this server stamps the jobs it runs as alive. Another server on the same database reads a job
 * whose owner's pid is alive on this host, or whose heartbeat is recent, as not its to fail.
 */
const JOB_HEARTBEAT_MS = 10_000;

export class JobManager {
  private readonly listeners = new Set<JobListener>();
  private readonly lastWrite = new Map<string, number>();
  private readonly pending = new Map<string, JobProgress>();
  private closing = false;
  private readonly off: () => void;
  /** This server process, the owner of the jobs it submits to its embedded engine. */
  private readonly owner = currentOwner();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly engine: JobEngine,
    private readonly runsDir: string,
  ) {
    this.off = engine.subscribe((e) => this.onEvent(e));
    this.heartbeat = setInterval(() => {
      try {
        this.store.heartbeatJobs(this.owner);
      } catch {
        // A busy database: the next beat writes it (a heartbeat is stale only after minutes).
      }
    }, JOB_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /**
   * The live server process that runs `job` when it is not this one (a second server on the same
   * database): only that process can stop it. Null for this server's jobs, finished ones, and the queue's.
   */
  ownedElsewhere(job: JobRecord): JobRecord['owner'] {
    if (this.engine.durable || FINAL.has(job.status) || !job.owner) return null;
    const mine = job.owner.pid === this.owner.pid && job.owner.host === this.owner.host;
    return mine || deadOwnerReason(job.owner) ? null : job.owner;
  }

  get engineName(): string {
    return this.engine.name;
  }

  /**
   * After a restart. Embedded: jobs whose owner is gone (its pid dead on this host, or no heartbeat for
   * minutes; older rows without an owner) are failed, and their runs marked interrupted; jobs of another
   * live server on the same database are left to it. Redis: jobs live on in the queue; those that ended
   * while the server was away are updated.
   */
  async recover(): Promise<JobRecord[]> {
    if (this.engine.durable) {
      for (const job of this.store.listJobs({ status: ['queued', 'running'], limit: 1000 })) {
        const end = await this.engine.ended?.(job.id);
        if (end)
          this.emit(
            this.store.updateJob(job.id, {
              status: end.status,
              error: end.error,
              finishedAt: new Date().toISOString(),
            }),
          );
      }
      return [];
    }
    const lost = this.store.failUnfinished(RESTART_REASON, (o) => !o || deadOwnerReason(o) !== null);
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
      // The queue's jobs belong to its workers, not to this process.
      ...(this.engine.durable ? {} : { owner: this.owner }),
    });
    this.emit(job);
    this.engine.submit(job.id, data).catch((e: unknown) => this.end(job.id, 'failed', null, errorMessage(e)));
    return job;
  }

  private onEvent(e: JobEvent): void {
    const job = this.store.getJob(e.id);
    // Jobs of the shared queue that this server did not submit (a CLI sweep) are not its records.
    if (!job || FINAL.has(job.status)) return;
    switch (e.type) {
      case 'active':
        this.emit(this.store.updateJob(e.id, { status: 'running', startedAt: new Date().toISOString() }));
        break;
      case 'progress': {
        this.pending.set(e.id, e.progress);
        const now = Date.now();
        if (now - (this.lastWrite.get(e.id) ?? 0) >= PROGRESS_WRITE_MS) this.flush(e.id, now);
        break;
      }
      case 'ended':
        this.end(e.id, e.status, e.result, e.error);
        break;
    }
  }

  private flush(id: string, now = Date.now()): void {
    const progress = this.pending.get(id);
    if (!progress) return;
    this.pending.delete(id);
    this.lastWrite.set(id, now);
    this.emit(this.store.updateJob(id, { progress }));
  }

  private end(
    id: string,
    status: 'finished' | 'failed' | 'cancelled',
    result: unknown,
    error: string | null,
  ): void {
    const job = this.store.getJob(id);
    if (!job || FINAL.has(job.status)) return;
    if (this.closing && !this.engine.durable && status !== 'finished') {
      status = 'failed';
      error = SHUTDOWN_REASON;
    }
    this.flush(id);
    this.lastWrite.delete(id);
    // Clients read a train job's result as before: the run and its status (the evaluation has its own field).
    this.emit(this.store.updateJob(id, { status, result, error, finishedAt: new Date().toISOString() }));
  }

  /** Cancels a queued job at once, a running one cooperatively (then forcibly after a grace period). */
  cancel(id: string): JobRecord | null {
    const job = this.store.getJob(id);
    if (!job || FINAL.has(job.status)) return job;
    this.engine.cancel(id).catch((e: unknown) => this.end(id, 'failed', null, errorMessage(e)));
    return this.store.getJob(id);
  }

  /**
   * Server shutdown. Embedded: running jobs are asked to stop (training saves a `latest` checkpoint and
   * marks its run interrupted) and marked failed with the reason; threads still busy after `graceMs` are
   * terminated, and `recover()` on the next start fails whatever was left (as after a crash). Redis: the
   * jobs belong to the queue and its workers, and go on.
   */
  async close(graceMs = CANCEL_GRACE_MS): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    await this.engine.close(graceMs);
    this.off();
  }
}
