export {
  type ComputeOptions,
  type ComputeOptionsPatch,
  computeOptions,
  resetComputeOptions,
  setComputeOptions,
} from './compute-options.js';
export { WorkerPool, WORKER_LOST } from './pool.js';
export { type GradientsReply, ReplicaPool } from './replica-pool.js';
export {
  type BackendInfo,
  type BackendName,
  checkWorkers,
  formatBackend,
  initBackend,
  parseBackendName,
  BACKEND_NAMES,
} from './select.js';
export { allVariables, readableSync } from './sync-read.js';
export { startThread } from './thread-bootstrap.js';
export { type TaskContext, transferable } from './tasks.js';
export { wasmHeapBytes, WasmMemoryError } from './wasm-guard.js';
export { WebGpuDeviceError, WebGpuLimitError } from './webgpu-guard.js';
export { webGpuBytesAllocated, webGpuBufferLimit } from './webgpu-adapter.js';
export { type TensorData, type WeightMap } from './weight-map.js';
export {
  BATCH_NORM_ACT_BACKWARD,
  BATCH_NORM_ACT_FORWARD,
  BATCH_NORM_ACT_OUTPUT,
  batchNormActReady,
  type BatchNormActBackwardAttrs,
  type BatchNormActForwardAttrs,
  type BatchNormActOutputAttrs,
} from './kernels/BatchNormAct.js';
