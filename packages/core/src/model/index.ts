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
export * from './types.js';
export * from './config.js';
export { ParamStore, type TensorData, type WeightMap } from './params.js';
export {
  batchNormAct,
  batchNormSumAct,
  createBatchNorm,
  type Activation,
  type BatchNormInput,
  type BatchNormLayer,
  type BatchNormOptions,
} from './batchnorm.js';
export type { Backbone, BackboneTrace, BlockStep, LayerContext } from './backbone.js';
export {
  branchKey,
  BranchSiteChecks,
  BranchSiteError,
  type ActivationSites,
  type BranchOverrides,
  type MaxPoolSites,
  type RegionMaxSite,
} from './branches.js';
export { Conv4 } from './conv4.js';
export { ResNet12 } from './resnet12.js';
export { dropBlock, dropBlockMask } from './dropblock.js';
export { adaptiveBins, adaptivePoolMatrixT, RegionPooler } from './region-grid.js';
export { l2Normalize, matMulABt, maxLastAxis, regionScores } from './comparison.js';
export { RegionWeightNet, type HeadContext } from './region-weights.js';
export { RCN, mseLoss, type HeadOutput } from './rcn.js';
export { loadReferenceWeights, torchToTf, tfToTorch, type ReferenceImportOptions } from './reference.js';
export * from './checkpoint.js';
export { resolveCheckpointDir } from './checkpoint-dir.js';
export { BaselineModel, createBackbone, type BaselineHeadOutput } from './baseline.js';
export { ProtoNet, crossEntropyLoss, squaredDistances } from './protonet.js';
export {
  RelationNet,
  RelationModule,
  relationMseLoss,
  RELATION_FILTERS,
  RELATION_HIDDEN,
} from './relationnet.js';
