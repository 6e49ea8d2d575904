/**
 * The browser face of model/: a checkpoint folder fetched over HTTP into a model of its method, and what
 * feeding and reading that model needs. Nothing here reads files; the Node face is index.ts (which adds
 * `openCheckpoint`, saving, reference-weight import).
 */
export { CheckpointError, type CheckpointMetadata } from './checkpoints/checkpoint-format.js';
export { type MetadataDescription } from './checkpoints/checkpoint-description.js';
export { l2Normalize } from './methods/comparison.js';
export { type ModelConfig } from './config.js';
export { createModel } from './methods/create.js';
export {
  type FetchCheckpointOptions,
  type FetchedCheckpoint,
  type FetchFunction,
  fetchCheckpoint,
} from './checkpoints/fetch-checkpoint.js';
export {
  type Box,
  type GridGeometry,
  gridGeometry,
  regionGeometry,
  type RegionGeometry,
} from './methods/geometry.js';
export { type WeightMap } from './params.js';
export { ProtoNet } from './methods/protonet.js';
export { RCN } from './methods/rcn.js';
export { RelationNet } from './methods/relationnet.js';
export { disposeOutput, type EpisodeBatch, type FewShotModel, type Method } from './types.js';
