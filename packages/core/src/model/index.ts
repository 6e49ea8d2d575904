/**
 * The models, by role: `methods/` (RCN, Xue et al., 2020; Prototypical Networks; Relation Network; all on
 * one base, `FewShotClassifier`), `backbones/` (Conv4, ResNet-12 and their chunked passes), `backward/`
 * (the hand-scheduled backward pass), `checkpoints/` (formats, references, opening, reference-weight import).
 *
 * - Every method implements `FewShotModel`: `forward(batch, { training })`, `loss`, `computeGradients(batch)`,
 *   `getWeights` / `setWeights`. Parameters are tf.Variables keyed by the reference's PyTorch module paths
 *   (`encoder.layer1.0.weight`), stored in TF.js layout (conv [kh, kw, in, out]).
 * - BatchNorm at inference (`ModelConfig.bnInference`): `batch` (default, the authors' code: supports and
 *   queries each normalised with their own statistics) or `running` (PyTorch eval mode). Running statistics
 *   are updated as the reference does (Conv4 momentum 1, ResNet-12 0.1, unbiased variance).
 * - `computeGradients` schedules the backbone's backward pass by hand (backward/) to fit the 4 GiB wasm heap;
 *   the head uses TF.js's autodiff with a custom-gradient BatchNorm.
 * - Checkpoints: TF.js weights manifest (`model.json` + `weights.bin`) and `metadata.json`.
 */
export { setBlockObserver } from './backward/backbone.js';
export {
  readCheckpoint,
  resolveCheckpointDir,
  saveCheckpoint,
  readCheckpointMetadata,
} from './checkpoints/checkpoint.js';
export {
  type CheckpointInfo,
  type CheckpointMetadata,
  CheckpointError,
} from './checkpoints/checkpoint-format.js';
export { l2Normalize } from './methods/comparison.js';
export {
  type BackboneKind,
  featureMapSize,
  type ModelConfig,
  type ModelConfigInput,
  resolveModelConfig,
} from './config.js';
export { type WeightMap } from './params.js';
export { ProtoNet } from './methods/protonet.js';
export { RCN } from './methods/rcn.js';
export { loadReferenceWeights, tfToTorch } from './checkpoints/reference.js';
export { adaptiveBins } from './methods/region-grid.js';
export { RelationNet } from './methods/relationnet.js';
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
} from './checkpoints/open.js';
export {
  CHECKPOINT_NAMES,
  type CheckpointName,
  type CheckpointRef,
  CheckpointRefError,
  formatCheckpointRef,
  parseCheckpointRef,
  ZOO_PREFIX,
} from './checkpoints/checkpoint-ref.js';
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
} from './methods/geometry.js';
export { createModel } from './methods/create.js';
export { type FetchedCheckpoint, fetchCheckpoint } from './checkpoints/fetch-checkpoint.js';
export { episodeMemoryBytes } from './memory.js';
