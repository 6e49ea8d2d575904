export { Adam } from './adam.js';
export { clipGradNormPerModule } from './clip.js';
export { defaultTrainConfig, METHODS, type TrainConfigInput } from './defaults.js';
export { loadModelCheckpoint } from './models.js';
export { type ModelReplicas, startReplicas } from './replicas.js';
export { assertRunId, listRuns, newRunId, readRunSummary, RunDir } from './run-dir.js';
export { train, TrainingAbortedError, TrainingDivergedError, type TrainProgress } from './trainer.js';
export { type Method, type RunSummary, type TrainConfig } from './types.js';
