/** The models: RCN (Xue et al., 2020), its parts, checkpoints and reference-weight import. */
export * from './types.js';
export * from './config.js';
export { ParamStore, type TensorData, type WeightMap } from './params.js';
export {
  batchNormAct,
  batchNormSumAct,
  createBatchNorm,
  setKinkOverride,
  type KinkOverride,
  type Activation,
  type BatchNormInput,
  type BatchNormLayer,
  type BatchNormOptions,
} from './batchnorm.js';
export type { Backbone, LayerContext } from './backbone.js';
export { Conv4 } from './conv4.js';
export { ResNet12 } from './resnet12.js';
export { dropBlock } from './dropblock.js';
export { adaptiveBins, adaptivePoolMatrixT, RegionPooler } from './region-grid.js';
export { l2Normalize, matMulABt, regionScores } from './comparison.js';
export { RegionWeightNet, type HeadContext } from './region-weights.js';
export { RCN, mseLoss, type HeadOutput } from './rcn.js';
export {
  loadReferenceWeights,
  readNpyFile,
  torchToTf,
  tfToTorch,
  type ReferenceImportOptions,
} from './reference.js';
export * from './checkpoint.js';
export { BaselineModel, createBackbone, type BaselineHeadOutput } from './baseline.js';
export { ProtoNet, crossEntropyLoss, squaredDistances } from './protonet.js';
export {
  RelationNet,
  RelationModule,
  relationMseLoss,
  RELATION_FILTERS,
  RELATION_HIDDEN,
} from './relationnet.js';
