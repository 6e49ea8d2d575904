export { Adam } from './adam.js';
export { clipGradNormPerModule } from './clip.js';
export { defaultTrainConfig, METHODS, type TrainConfigInput } from './config-schema.js';
export { type ModelReplicas, startReplicas } from './replicas.js';
export {
  assertRunId,
  listRuns,
  newRunId,
  readRunSummary,
  RunDir,
  evaluationName,
  tasksReportName,
} from './run-dir.js';
export { train, TrainingAbortedError, TrainingDivergedError, type TrainProgress } from './trainer.js';
export { type Method, type MetricEvent, type RunSummary, type TrainConfig } from './types.js';
export {
  TRAIN_DEFAULTS,
  TRAIN_FIELDS,
  loadTrainConfig,
  validateTrainConfig,
  maxTrainWorkers,
} from './config-schema.js';
