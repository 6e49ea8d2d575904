export * from './select.js';
export { WasmMemoryError, wasmHeapBytes } from './wasm-guard.js';
export { WASM_TRAINING_KERNELS, registerWasmTrainingKernels, convFilterBanding } from './kernels/index.js';
export { WorkerPool, WORKER_LOST, type WorkerPoolOptions } from './pool.js';
export { transferable, type Task, type TaskContext, type TaskModule } from './tasks.js';
export { WebGpuLimitError, WebGpuDeviceError } from './webgpu-guard.js';
export {
  describeAdapter,
  formatAdapter,
  webGpuBufferLimit,
  webGpuBytesAllocated,
  type WebGpuAdapterInfo,
} from './webgpu.js';
export { parseTensorflowLog, explainNoGpu, probeTensorflowGpu, type TfGpuReport } from './tf-gpu-probe.js';
export { readableSync, allVariables } from './sync-read.js';
export {
  BATCH_NORM_ACT_BACKWARD,
  BATCH_NORM_ACT_FORWARD,
  batchNormActReady,
  convFilterSimd,
  simdReady,
  type BatchNormActBackwardAttrs,
  type BatchNormActForwardAttrs,
} from './kernels/index.js';
