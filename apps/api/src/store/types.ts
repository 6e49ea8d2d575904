/** What the server persists: job state and an index of run directories. Run directories stay the source of truth. */
import type { RunOwner, RunSummary } from '@rcn/core';
import type { JobProgress } from '@rcn/jobs';

// The engine's progress is what the store keeps: one shape, from core.
export type { JobProgress };

export type JobKind = 'train' | 'evaluate';
export type JobStatus = 'queued' | 'running' | 'finished' | 'failed' | 'cancelled';

export interface JobRecord {
  id: string;
  kind: JobKind;
  status: JobStatus;
  /** The resolved configuration (TrainConfig, or evaluation settings), as JSON. */
  config: unknown;
  /** The run this job writes (training) or reads (evaluation). */
  runId: string | null;
  /** Checkpoint reference an evaluation reads. */
  checkpoint: string | null;
  progress: JobProgress | null;
  /** Where the result lives: for evaluations, the report file name in the run's evaluations/ folder. */
  result: unknown;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  /** The server process that runs it (embedded engine), with its last heartbeat; null in older rows. */
  owner: RunOwner | null;
}

/** A process, without its heartbeat. */
export type JobOwner = Omit<RunOwner, 'heartbeatAt'>;

export type NewJob = Pick<JobRecord, 'id' | 'kind' | 'config' | 'runId' | 'checkpoint'> & {
  owner?: JobOwner;
};
export type JobPatch = Partial<
  Pick<JobRecord, 'status' | 'runId' | 'progress' | 'result' | 'error' | 'startedAt' | 'finishedAt'>
>;

export interface Store {
  createJob(job: NewJob): JobRecord;
  getJob(id: string): JobRecord | null;
  listJobs(opts?: { status?: JobStatus[]; limit?: number }): JobRecord[];
  updateJob(id: string, patch: JobPatch): JobRecord;
  /** Refreshes the heartbeat of every queued or running job `owner` runs. */
  heartbeatJobs(owner: JobOwner): void;
  /**
   * Marks queued or running jobs failed with `reason` (after a restart), those whose owner `isGone` says
   * is gone (default: every one); returns them.
   */
  failUnfinished(reason: string, isGone?: (owner: RunOwner | null) => boolean): JobRecord[];
  /** Indexes a run directory's summary (upsert). */
  indexRun(summary: RunSummary): void;
  /** Drops index rows for runs whose directories are gone. */
  pruneRuns(keep: readonly string[]): void;
  indexedRunIds(): string[];
  /** Applied migration versions, ascending. */
  migrations(): number[];
  close(): void;
}
