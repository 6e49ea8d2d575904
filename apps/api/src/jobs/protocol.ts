/** Messages between the job manager and a job's worker thread. */
import type { EpisodeSpec, TrainConfig } from '@rcn/core';
import type { JobProgress } from '../store/types.js';

export interface TrainJobData {
  kind: 'train';
  runsDir: string;
  runId: string;
  config: TrainConfig;
  /** Continue this run directory from its latest checkpoint. */
  resume: boolean;
  /** With `resume`: train up to this many episodes in total. */
  episodes?: number;
}

export interface EvaluateSettings {
  dataset: string;
  split: string;
  way: number;
  shot: number;
  query: number;
  episodes: number;
  seed: number;
}

export interface EvaluateJobData {
  kind: 'evaluate';
  dataDir: string;
  backend: string;
  checkpointRef: string;
  checkpointDir: string;
  /** Report file: <run>/evaluations/<name>.json */
  reportPath: string;
  settings: EvaluateSettings;
}

export type JobData = TrainJobData | EvaluateJobData;

export type ToWorker = { type: 'cancel' };

export type FromWorker =
  | { type: 'progress'; progress: JobProgress }
  | { type: 'done'; status: 'finished' | 'cancelled'; result: unknown }
  | { type: 'error'; message: string };

export type { EpisodeSpec };
