/**
 * The browser face of backend/: what a browser bundle may use (`@rcn/core/browser`) and what the model's
 * files need of this folder. Nothing here reaches Node, native TensorFlow or Dawn; the Node face is
 * index.ts.
 */
export {
  type BrowserBackendInfo,
  type BrowserBackendName,
  type BrowserBackendOptions,
  initBrowserBackend,
} from './browser-backend.js';
export {
  BATCH_NORM_ACT_BACKWARD,
  BATCH_NORM_ACT_FORWARD,
  BATCH_NORM_ACT_OUTPUT,
  batchNormActReady,
  type BatchNormActBackwardAttrs,
  type BatchNormActForwardAttrs,
  type BatchNormActOutputAttrs,
} from './kernels/BatchNormAct.js';
export {
  type ComputeOptions,
  type ComputeOptionsPatch,
  computeOptions,
  resetComputeOptions,
  setComputeOptions,
} from './compute-options.js';
export { WasmMemoryError } from './wasm-guard.js';
export { type WebGpuAdapterInfo, webGpuBufferLimit, webGpuBytesAllocated } from './webgpu-adapter.js';
export { WebGpuDeviceError, WebGpuLimitError } from './webgpu-guard.js';
export { type TensorData, type WeightMap } from './weight-map.js';
