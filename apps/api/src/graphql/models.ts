/**
 * Internal models behind schema types whose fields are resolved from them (the codegen mappers in
 * codegen.ts): what a resolver returns for such a type, and what that type's field resolvers receive.
 */
import type { ClassInfo, DatasetEntry, EvalReport, TaskEvalReport } from '@rcn/core';
import type { CellStatus, SweepPlan, SweepRow } from '@rcn/jobs';

/** A split of a dataset (DatasetSplit). */
export interface SplitModel {
  entry: DatasetEntry;
  name: string;
}

/** A class of a split (DatasetClass). */
export interface ClassModel {
  dataset: string;
  split: string;
  info: ClassInfo;
}

/** An evaluation report as read from a run's evaluations/ folder (Evaluation). */
export type EvaluationModel = EvalReport & { name: string; checkpoint?: string; createdAt?: string };

/**
 * A tasks report as written, its `name` (the tasks file's title) moved to `title` and replaced by the
 * report's name (TaskEvaluation).
 */
export type TaskEvaluationModel = Omit<TaskEvalReport, 'name'> & {
  name: string;
  title: string | null;
  checkpoint?: string;
  createdAt?: string;
};

/** A sweep's plan with its cells' state, read once per request (Sweep). */
export interface SweepModel {
  plan: SweepPlan;
  status: CellStatus[];
  rows: SweepRow[];
}
