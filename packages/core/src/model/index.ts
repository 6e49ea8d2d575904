/**
 * The models: RCN (Xue et al., 2020), its parts, checkpoints and reference-weight import.
 *
 * - `RCN` implements `FewShotModel`: `forward(batch, { training })`, `loss`, `computeGradients(batch)`,
 *   `getWeights` / `setWeights`. Parameters are tf.Variables keyed by the reference's PyTorch module paths
 *   (`encoder.layer1.0.weight`), stored in TF.js layout (conv [kh, kw, in, out]).
 * - BatchNorm at inference (`ModelConfig.bnInference`): `batch` (default, the authors' code: supports and
 *   queries each normalised with their own statistics) or `running` (PyTorch eval mode). Running statistics
 *   are updated as the reference does (Conv4 momentum 1, ResNet-12 0.1, unbiased variance).
 * - `computeGradients` schedules the backbone's backward pass by hand (backbone.ts) to fit the 4 GiB wasm heap;
 *   the head uses TF.js's autodiff with a custom-gradient BatchNorm.
 * - Checkpoints: TF.js weights manifest (`model.json` + `weights.bin`) and `metadata.json`.
 */
export { setBlockObserver } from './backbone.js';
export {
  readCheckpoint,
  resolveCheckpointDir,
  saveCheckpoint,
  readCheckpointMetadata,
} from './checkpoint.js';
export { type CheckpointInfo, type CheckpointMetadata, CheckpointError } from './checkpoint-format.js';
export { l2Normalize } from './comparison.js';
export {
  type BackboneKind,
  featureMapSize,
  type ModelConfig,
  type ModelConfigInput,
  resolveModelConfig,
} from './config.js';
export { type WeightMap } from './params.js';
export { ProtoNet } from './protonet.js';
export { RCN } from './rcn.js';
export { loadReferenceWeights, tfToTorch } from './reference.js';
export { adaptiveBins } from './region-grid.js';
export { RelationNet } from './relationnet.js';
export { disposeBatch, syntheticBatch } from './synthetic.js';
export {
  disposeOutput,
  type EpisodeBatch,
  type FewShotModel,
  type StepTimings,
  type Method,
} from './types.js';
export {
  openCheckpoint,
  type OpenCheckpointOptions,
  type OpenedCheckpoint,
  describeCheckpoint,
  type CheckpointDescription,
  type CheckpointLocation,
} from './open.js';
export {
  CHECKPOINT_NAMES,
  type CheckpointName,
  type CheckpointRef,
  CheckpointRefError,
  formatCheckpointRef,
  parseCheckpointRef,
  ZOO_PREFIX,
} from './checkpoint-ref.js';
export {
  regionGeometry,
  type RegionGeometry,
  upsampleRegionMap,
  regionTile,
  cellsToRegions,
  regionPatchBox,
  type Box,
  type GridGeometry,
  gridGeometry,
} from './geometry.js';
export { createModel } from './create.js';
export { type FetchedCheckpoint, fetchCheckpoint } from './fetch-checkpoint.js';
export { episodeMemoryBytes } from './memory.js';
