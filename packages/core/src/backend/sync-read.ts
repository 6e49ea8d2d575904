/**
 * Synchronous reads (`dataSync`, `arraySync`) are impossible on the webgpu backend under Node: the browser
 * path tfjs-backend-webgpu uses (an OffscreenCanvas) does not exist, and mapping a GPU buffer is
 * asynchronous. A tensor whose values were read once asynchronously is cached on the CPU, after which a
 * synchronous read returns the cache; `readableSync` does that for code (checkpoint writers, weight
 * exports) that reads synchronously.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Makes the tensors' values readable synchronously on every backend (a no-op where they already are). */
export async function readableSync(tensors: Iterable<tf.Tensor>): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  await Promise.all([...tensors].filter((t) => !t.isDisposed).map((t) => t.data()));
}

/** Every live tf.Variable: model parameters, BatchNorm buffers, optimiser moments. */
export function allVariables(): tf.Variable[] {
  return Object.values(tf.engine().state.registeredVariables);
}
