/**
 * The browser face of model/: a checkpoint folder fetched over HTTP into a model of its method, and what
 * feeding and reading that model needs. Nothing here reads files; the Node face is index.ts (which adds
 * `openCheckpoint`, saving, reference-weight import).
 */
export { CheckpointError, type CheckpointMetadata } from './checkpoint-format.js';
export { type MetadataDescription } from './checkpoint-description.js';
export { l2Normalize } from './comparison.js';
export { type ModelConfig } from './config.js';
export { createModel } from './create.js';
export {
  type FetchCheckpointOptions,
  type FetchedCheckpoint,
  type FetchFunction,
  fetchCheckpoint,
} from './fetch-checkpoint.js';
export {
  type Box,
  type GridGeometry,
  gridGeometry,
  regionGeometry,
  type RegionGeometry,
} from './geometry.js';
export { type WeightMap } from './params.js';
export { ProtoNet } from './protonet.js';
export { RCN } from './rcn.js';
export { RelationNet } from './relationnet.js';
export { disposeOutput, type EpisodeBatch, type FewShotModel, type Method } from './types.js';
