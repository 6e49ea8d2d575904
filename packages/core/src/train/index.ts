export { ReplicaPool, type ReplicaPoolOptions, type ParallelGradients } from './replica-pool.js';
export { averageWeightMaps, arraysToBatch, tensorsToWeightMap, weightMapBuffers } from './weights.js';
export * from './types.js';
export {
  RunDir,
  evaluationName,
  tasksReportName,
  type EvaluationKey,
  listRuns,
  readRunSummary,
  newRunId,
  assertRunId,
  currentOwner,
  deadOwnerReason,
  HEARTBEAT_STALE_MS,
} from './run-dir.js';
export {
  train,
  TrainingDivergedError,
  TrainingAbortedError,
  type TrainOptions,
  type TrainProgress,
} from './trainer.js';
export {
  defaultTrainConfig,
  validateTrainConfig,
  maxTrainWorkers,
  METHODS,
  TRAIN_LIMITS,
  TRAIN_FIELDS,
  TRAIN_DEFAULTS,
  loadTrainConfig,
  trainConfigSchema,
  type TrainConfigInput,
} from './defaults.js';
export { Adam, type AdamState } from './adam.js';
export { ReduceLROnPlateau, type PlateauState } from './schedule.js';
export { clipGradNormPerModule, moduleOf } from './clip.js';
export { createModel } from './models.js';
export { saveTrainingCheckpoint, loadTrainingCheckpoint } from './checkpoint-state.js';
