export { Adam } from './adam.js';
export { clipGradNormPerModule } from './clip.js';
export { defaultTrainConfig, METHODS, type TrainConfigInput } from './config-schema.js';
export { type ModelReplicas, startReplicas } from './replicas.js';
export {
  currentOwner,
  deadOwnerReason,
  listRuns,
  newRunId,
  readRunSummary,
  RunDir,
  evaluationName,
  tasksReportName,
  type TasksFileName,
} from './run-dir.js';
export { train, TrainingAbortedError, TrainingDivergedError, type TrainProgress } from './trainer.js';
export {
  assertPlan,
  fieldAsKey,
  type FieldName,
  formatPlan,
  PlanError,
  type PlannedEvaluation,
  type PlanProblem,
  planProblems,
  runSplits,
  type SampledSplit,
  TRAINING_FIELDS,
  VALIDATION_FIELDS,
} from './plan.js';
export { type Method, type MetricEvent, type RunOwner, type RunSummary, type TrainConfig } from './types.js';
export {
  TRAIN_DEFAULTS,
  TRAIN_FIELDS,
  loadTrainConfig,
  validateTrainConfig,
  maxTrainWorkers,
} from './config-schema.js';
