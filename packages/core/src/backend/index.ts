export * from './select.js';
export { WasmMemoryError, wasmHeapBytes } from './wasm-guard.js';
export { WASM_TRAINING_KERNELS, registerWasmTrainingKernels, convFilterBanding } from './kernels/index.js';
export { WorkerPool, type WorkerPoolOptions } from './pool.js';
export { transferable, type Task, type TaskContext, type TaskModule } from './tasks.js';
export { WebGpuLimitError, WebGpuDeviceError } from './webgpu-guard.js';
export { describeAdapter, formatAdapter, webGpuBytesAllocated, type WebGpuAdapterInfo } from './webgpu.js';
export { parseTensorflowLog, explainNoGpu, probeTensorflowGpu, type TfGpuReport } from './tf-gpu-probe.js';
export { readableSync, allVariables } from './sync-read.js';
export {
  ReplicaPool,
  type ReplicaPoolOptions,
  type ParallelGradients,
  type GradientsReply,
} from './replica-pool.js';
export { averageWeightMaps, type TensorData, type WeightMap } from './weight-map.js';
