/**
 * Kernels registered on the wasm backend so that it can train conv nets, and train them fast.
 * One file per kernel, like TensorFlow.js's own `kernels/` folders; each is checked against the cpu
 * backend in test/backend/kernels.test.ts.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './BatchMatMul.js';
import {
  BATCH_NORM_ACT_BACKWARD,
  BATCH_NORM_ACT_FORWARD,
  BATCH_NORM_ACT_OUTPUT,
  batchNormActBackwardConfig,
  batchNormActForwardConfig,
  batchNormActOutputConfig,
} from './BatchNormAct.js';
import { conv2DConfig } from './Conv2D.js';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.js';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.js';
import { maxPoolGradConfig } from './MaxPoolGrad.js';
import { meanConfig, sumConfig } from './Reduce.js';
import { tileConfig } from './Tile.js';
import { captureStock } from './ops.js';

/** Names of the kernels this module registers on wasm (for reports and tests). */
export const WASM_TRAINING_KERNELS = [
  'Conv2D',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'MaxPoolGrad',
  'Sum',
  'Mean',
  'Tile',
  'BatchMatMul',
  BATCH_NORM_ACT_FORWARD,
  BATCH_NORM_ACT_BACKWARD,
  BATCH_NORM_ACT_OUTPUT,
] as const;

// Composites call stock kernels by name; capture them all before any is replaced.
const STOCK_USED = [
  'Reshape',
  'Transpose',
  'Reverse',
  'Slice',
  'PadV2',
  'Conv2D',
  'Sum',
  'Mean',
  'Tile',
  'BatchMatMul',
];

function override(config: KernelConfig): void {
  const stock = getKernel(config.kernelName, 'wasm');
  unregisterKernelIfPresent(config.kernelName);
  // The stock setup (binding the C++ entry point) must still run when the backend initialises, because
  // our composites call the stock kernel function.
  registerKernel({ ...config, setupFunc: config.setupFunc ?? stock?.setupFunc });
}

function unregisterKernelIfPresent(name: string): void {
  if (getKernel(name, 'wasm')) unregisterKernel(name, 'wasm');
}

let registered = false;

/** Registers the training kernels on wasm. Call after importing the wasm backend, before `setBackend`. */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const name of STOCK_USED) captureStock(name);
  override(conv2DConfig);
  override(conv2DBackpropFilterConfig);
  override(conv2DBackpropInputConfig);
  override(maxPoolGradConfig);
  override(sumConfig());
  override(meanConfig());
  override(tileConfig());
  override(batchMatMulConfig());
  override(batchNormActForwardConfig);
  override(batchNormActBackwardConfig);
  override(batchNormActOutputConfig);
  registered = true;
}

export { conv2DBackpropFilterWasm } from './Conv2DBackpropFilter.js';
export { conv2DBackpropInputWasm } from './Conv2DBackpropInput.js';
export { maxPoolGradWasm } from './MaxPoolGrad.js';
export { tileArray } from './Tile.js';
export {
  prepareSimdKernels,
  relaxedSimdValidates,
  simdReady,
  simdVariant,
  type SimdVariant,
} from './simd.js';
export {
  BATCH_NORM_ACT_BACKWARD,
  BATCH_NORM_ACT_FORWARD,
  BATCH_NORM_ACT_OUTPUT,
  batchNormActReady,
  type BatchNormActBackwardAttrs,
  type BatchNormActForwardAttrs,
  type BatchNormActOutputAttrs,
} from './BatchNormAct.js';
