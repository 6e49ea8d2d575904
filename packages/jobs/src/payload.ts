/**
 * What a job carries and what it reports: one schema for every engine, checked where a payload enters a
 * process (a worker thread, or a worker that took it from Redis), so a malformed job fails with the field
 * that is wrong instead of somewhere inside the trainer.
 */
import { z } from 'zod';
import { boundedIntSchema, type IntField, EVAL_FIELDS, type TrainConfig } from '@rcn/core';

const bounded = (f: IntField) => boundedIntSchema(f.min, f.max);

/** An evaluation's episode settings (the dataset is the run's unless given); bounds: the eval schema's. */
export const evalSettingsSchema = z.object({
  dataset: z.string().min(1),
  split: z.string().min(1),
  way: bounded(EVAL_FIELDS.way),
  shot: bounded(EVAL_FIELDS.shot),
  query: bounded(EVAL_FIELDS.query),
  episodes: bounded(EVAL_FIELDS.episodes),
  seed: bounded(EVAL_FIELDS.seed),
  /** Within-group episodes (Omniglot: one alphabet each). */
  withinGroup: z.boolean().optional(),
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
  /**
   * Further evaluations after `evaluate` (e.g. the 5-shot test of a 1-shot model); the job is done when
   * every report exists.
   */
  evaluateAlso: z.array(evalAfterSchema).optional(),
});
export type TrainJobData = z.infer<typeof trainJobSchema>;

/** Where a checkpoint reference (`<runId>/<best|latest>` or `zoo:<name>`, never a path) is looked up. */
const checkpointRefFields = {
  runsDir: z.string().min(1),
  zooDir: z.string().min(1).optional(),
  dataDir: z.string().min(1),
  backend: z.string().min(1),
  /** As clients name it: `<runId>/<best|latest>` or `zoo:<name>`. */
  checkpoint: z.string().min(1),
};

export const evaluateJobSchema = z.object({
  kind: z.literal('evaluate'),
  ...checkpointRefFields,
  settings: evalSettingsSchema,
});
export type EvaluateJobData = z.infer<typeof evaluateJobSchema>;

/** Every episode of a fixed tasks file (`eval --tasks`): a JSON tasks file or a folder of Lake's runs. */
export const tasksJobSchema = z.object({
  kind: z.literal('tasks'),
  ...checkpointRefFields,
  /** The tasks file, or the folder holding Lake's `runNN/` folders. */
  tasksPath: z.string().min(1),
  /** How the report's name names the file: its path relative to the data folder, or to run `run`'s folder. */
  tasksName: z.object({ path: z.string().min(1), run: z.string().min(1).nullable().optional() }),
});
export type TasksJobData = z.infer<typeof tasksJobSchema>;

export const jobDataSchema = z.discriminatedUnion('kind', [
  trainJobSchema,
  evaluateJobSchema,
  tasksJobSchema,
]);
export type JobData = TrainJobData | EvaluateJobData | TasksJobData;

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
  | ({ kind: 'evaluate' } & EvaluationResult)
  | ({ kind: 'tasks' } & EvaluationResult);

/** How a job ended when it did not throw. */
export interface JobOutcome {
  status: 'finished' | 'cancelled';
  result: JobResult | null;
}
