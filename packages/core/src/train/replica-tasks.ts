/**
 * Worker-side tasks of backend's `ReplicaPool` (started by `startReplicas`): each worker holds one model replica, receives the main thread's
 * weights with every request, and returns gradients or predictions as plain typed arrays.
 */
import * as tf from '@tensorflow/tfjs-core';
import { transferable, type GradientsReply } from '../backend/index.js';
import { createModel, type FewShotModel, type ModelConfigInput, type WeightMap } from '../model/index.js';
import type { Method } from './types.js';
import { type EpisodeArrays, arraysToBatch } from '../episodes/index.js';
import { countCorrect, tensorsToWeightMap, weightMapBuffers } from './weights.js';

let model: FewShotModel | null = null;

function replica(): FewShotModel {
  if (!model) throw new Error('replica not initialised: call replica.init first');
  return model;
}

export const tasks = {
  /** `method` (default rcn) rides along with the model config: see createModel. */
  'replica.init': ({ method = 'rcn', ...cfg }: ModelConfigInput & { method?: Method }) => {
    model?.dispose();
    model = createModel(method, cfg);
    return model.config;
  },
  'replica.gradients': ({ weights, batch }: { weights: WeightMap; batch: EpisodeArrays }) => {
    const m = replica();
    m.setWeights(weights);
    const b = arraysToBatch(batch);
    const r = m.computeGradients(b, { keepOutput: true });
    const loss = r.loss.dataSync()[0];
    const correct = countCorrect(r.output!.probs, batch.queryLabels);
    tf.dispose(Object.values(r.output!) as tf.Tensor[]);
    const grads = tensorsToWeightMap(r.grads);
    r.loss.dispose();
    tf.dispose([...r.grads.values()]);
    b.dispose();
    const reply: GradientsReply = { loss, correct, grads, buffers: weightMapBuffers(m) };
    return transferable(
      reply,
      [...grads.values(), ...reply.buffers.values()].map((t) => t.data.buffer as ArrayBuffer),
    );
  },
  /** Bytes of this worker's wasm heap (its peak: the heap never shrinks), or null on other backends. */
  'replica.memory': () => {
    const b = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
    return { wasmHeapBytes: b.wasm ? b.wasm.HEAPU8.length : null, rssBytes: process.memoryUsage().rss };
  },
  'replica.setWeights': (weights: WeightMap) => {
    replica().setWeights(weights);
    return true;
  },
  'replica.predict': ({ weights, batch }: { weights: WeightMap | null; batch: EpisodeArrays }) => {
    const m = replica();
    if (weights) m.setWeights(weights);
    const b = arraysToBatch(batch);
    const out = m.forward(b, { training: false });
    const probs = out.probs.dataSync() as Float32Array;
    tf.dispose(Object.values(out) as tf.Tensor[]);
    b.dispose();
    return transferable(probs, [probs.buffer as ArrayBuffer]);
  },
};
