/**
 * @rcn/core: the Region Comparison Network (Xue, Duan, Li, Chen, Luo, 2020, arXiv 2009.03558)
 * for interpretable few-shot image classification, on TensorFlow.js.
 */
export * from './backend/index.js';
export * from './io/index.js';
export * from './paths/index.js';
export * from './model/index.js';
export * from './util/index.js';
export * from './config/index.js';
export * from './data/index.js';
export * from './episodes/index.js';
export * from './train/index.js';
export * from './eval/index.js';
export * from './explain/index.js';
export * from './jobs/index.js';
export * from './predict/index.js';
