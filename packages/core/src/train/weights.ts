/** Conversions between tensors and plain typed arrays for crossing thread boundaries. */
import * as tf from '@tensorflow/tfjs-core';
import type { FewShotModel, WeightMap } from '../model/index.js';

export function tensorsToWeightMap(tensors: Map<string, tf.Tensor>): WeightMap {
  const out: WeightMap = new Map();
  for (const [name, t] of tensors)
    out.set(name, { shape: t.shape.slice(), data: t.dataSync() as Float32Array });
  return out;
}

/** The model's non-trainable state (BatchNorm running statistics). */
export function weightMapBuffers(model: FewShotModel): WeightMap {
  const trainable = model.trainableVariables();
  const all = model.getWeights();
  for (const name of trainable.keys()) all.delete(name);
  return all;
}

/** Number of rows of `probs` [Q, N] whose argmax equals the label. */
export function countCorrect(probs: tf.Tensor2D, labels: Int32Array): number {
  const p = probs.dataSync();
  const n = probs.shape[1];
  let correct = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < n; c++) if (p[r * n + c] > p[r * n + best]) best = c;
    if (best === labels[r]) correct++;
  }
  return correct;
}
