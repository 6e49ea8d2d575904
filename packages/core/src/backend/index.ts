export * from './select.js';
export { WasmMemoryError, wasmHeapBytes } from './wasm-guard.js';
export { WASM_TRAINING_KERNELS, registerWasmTrainingKernels } from './kernels/index.js';
