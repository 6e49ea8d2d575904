export * from './spec.js';
export * from './sampler.js';
export * from './augment.js';
export * from './batch.js';
export * from './tensors.js';
export * from './loader.js';
