/** Conversions between tensors and plain typed arrays for crossing thread boundaries. */
import * as tf from '@tensorflow/tfjs-core';
import type { EpisodeArrays } from '../episodes/batch.js';
import type { FewShotModel, EpisodeBatch } from '../model/types.js';
import type { WeightMap } from '../model/params.js';

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

/** An episode's arrays as a model batch; the caller disposes it. */
export function arraysToBatch(a: EpisodeArrays): EpisodeBatch & { dispose(): void } {
  const support = tf.tensor4d(a.support, [a.way * a.shot, a.height, a.width, 3]);
  const query = tf.tensor4d(a.queries, [a.way * a.query, a.height, a.width, 3]);
  const queryLabels = tf.tensor1d(a.queryLabels, 'int32');
  return {
    support,
    query,
    queryLabels,
    way: a.way,
    shot: a.shot,
    dispose: () => tf.dispose([support, query, queryLabels]),
  };
}

/** Element-wise mean of several weight maps with the same names and shapes (float64 accumulation). */
export function averageWeightMaps(maps: WeightMap[]): WeightMap {
  if (maps.length === 1) return maps[0];
  const out: WeightMap = new Map();
  for (const [name, first] of maps[0]) {
    const acc = new Float64Array(first.data.length);
    for (const m of maps) {
      const t = m.get(name);
      if (!t || t.data.length !== acc.length)
        throw new Error(`cannot average '${name}': missing or mismatched in a replica`);
      for (let i = 0; i < acc.length; i++) acc[i] += t.data[i];
    }
    const data = new Float32Array(acc.length);
    for (let i = 0; i < acc.length; i++) data[i] = acc[i] / maps.length;
    out.set(name, { shape: first.shape, data });
  }
  return out;
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
