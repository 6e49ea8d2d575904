/**
 * Worker-side tasks of `ReplicaPool`: each worker holds one model replica, receives the main thread's
 * weights with every request, and returns gradients or predictions as plain typed arrays.
 */
import * as tf from '@tensorflow/tfjs-core';
import { transferable } from '../backend/tasks.js';
import { RCN } from '../model/rcn.js';
import type { ModelConfigInput } from '../model/config.js';
import type { WeightMap } from '../model/params.js';
import type { EpisodeArrays } from '../episodes/batch.js';
import { arraysToBatch, countCorrect, tensorsToWeightMap, weightMapBuffers } from './weights.js';

let model: RCN | null = null;

function replica(): RCN {
  if (!model) throw new Error('replica not initialised: call replica.init first');
  return model;
}

export interface GradientsReply {
  loss: number;
  /** Correctly classified training queries. */
  correct: number;
  grads: WeightMap;
  /** BatchNorm running statistics after the step. */
  buffers: WeightMap;
}

export const tasks = {
  'replica.init': (cfg: ModelConfigInput) => {
    model?.dispose();
    model = new RCN(cfg);
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
    return transferable(reply, [...grads.values(), ...reply.buffers.values()].map((t) => t.data.buffer as ArrayBuffer));
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
