/**
 * What a job carries and what it reports: one schema for every engine, checked where a payload enters a
 * process (a worker thread, or a worker that took it from Redis), so a malformed job fails with the field
 * that is wrong instead of somewhere inside the trainer.
 */
import { z } from 'zod';
import type { TrainConfig } from '../train/index.js';

/** An evaluation's episode settings (the dataset is the run's unless given). */
export const evalSettingsSchema = z.object({
  dataset: z.string().min(1),
  split: z.string().min(1),
  way: z.number().int().min(2),
  shot: z.number().int().min(1),
  query: z.number().int().min(1),
  episodes: z.number().int().min(1),
  seed: z.number().int().min(0),
});
export type EvalSettings = z.infer<typeof evalSettingsSchema>;

/** Evaluation that follows a training job, on one of the run's own checkpoints. */
export const evalAfterSchema = evalSettingsSchema.extend({
  checkpoint: z.enum(['best', 'latest']),
});
export type EvalAfterTraining = z.infer<typeof evalAfterSchema>;

// The trainer validates a TrainConfig field by field (validateTrainConfig); here only its shape.
const trainConfigSchema = z.custom<TrainConfig>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  'expected a training configuration object',
);

export const trainJobSchema = z.object({
  kind: z.literal('train'),
  runsDir: z.string().min(1),
  runId: z.string().min(1),
  config: trainConfigSchema,
  /**
   * Continue the run from its latest checkpoint; a run without one (its trainer died before the first
   * save) starts over. A job whose run already has one resumes regardless: that is a job taken over from a
   * worker that died.
   */
  resume: z.boolean(),
  /** With `resume`: train up to this many episodes in total. */
  episodes: z.number().int().min(1).optional(),
  /** Then evaluate (a sweep cell: train, then test). */
  evaluate: evalAfterSchema.optional(),
});
export type TrainJobData = z.infer<typeof trainJobSchema>;

export const evaluateJobSchema = z.object({
  kind: z.literal('evaluate'),
  dataDir: z.string().min(1),
  backend: z.string().min(1),
  /** How clients name the checkpoint (`<run>/best`). */
  checkpointRef: z.string().min(1),
  checkpointDir: z.string().min(1),
  /** Report file: <run>/evaluations/<name>.json */
  reportPath: z.string().min(1),
  settings: evalSettingsSchema,
});
export type EvaluateJobData = z.infer<typeof evaluateJobSchema>;

export const jobDataSchema = z.discriminatedUnion('kind', [trainJobSchema, evaluateJobSchema]);
export type JobData = TrainJobData | EvaluateJobData;

/** Parses a payload; the error names the job and the field. */
export function parseJobData(value: unknown, where: string): JobData {
  const r = jobDataSchema.safeParse(value);
  if (r.success) return r.data as JobData;
  const issue = r.error.issues[0];
  throw new Error(`${where}: invalid job payload at '${issue.path.join('.') || '(root)'}': ${issue.message}`);
}

export interface JobProgress {
  phase: string;
  /** Units done (training or evaluation episodes). */
  done: number;
  total: number;
  loss: number | null;
  accuracy: number | null;
  episodesPerSecond: number | null;
  etaSeconds: number | null;
}

export interface EvaluationResult {
  reportPath: string;
  accuracy: number;
  ci95: number;
}

export type JobResult =
  | { kind: 'train'; runId: string; status: string; episode: number; evaluation: EvaluationResult | null }
  | ({ kind: 'evaluate' } & EvaluationResult);

/** How a job ended when it did not throw. */
export interface JobOutcome {
  status: 'finished' | 'cancelled';
  result: JobResult | null;
}
