export { startReplicas, type ReplicaOptions, type ModelReplicas } from './replicas.js';
export { tensorsToWeightMap, weightMapBuffers } from './weights.js';
export * from './types.js';
export {
  RunDir,
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
  type TrainConfigInput,
} from './defaults.js';
export { createModel, loadModelCheckpoint } from './models.js';
export { Adam, type AdamState } from './adam.js';
export { ReduceLROnPlateau, type PlateauState } from './schedule.js';
export { clipGradNormPerModule, moduleOf } from './clip.js';
export { saveTrainingCheckpoint, loadTrainingCheckpoint } from './checkpoint-state.js';
