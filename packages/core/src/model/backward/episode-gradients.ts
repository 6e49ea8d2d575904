/**
 * One episode's gradients for a model made of a traced backbone and a head differentiated by TF.js:
 * shared by RCN and the baselines so that all methods train by exactly the same schedule.
 *
 * Supports are traced first, then queries (the order in which the reference updates running statistics);
 * the head's autodiff gives the loss, the head parameters' gradients and the features' gradients, which the
 * traces carry back through the backbone by hand (see backbone.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { accumulate, type Backbone, type BackboneTrace, type LayerContext } from './backbone.js';
import type { ParamStore } from '../params.js';
import {
  disposeOutput,
  type EpisodeBatch,
  type ForwardOutput,
  type GradientOptions,
  type GradientResult,
} from '../types.js';

export interface EpisodeGradientSpec {
  backbone: Backbone;
  store: ParamStore;
  batch: EpisodeBatch;
  /** The training-mode layer context of a pass (`support`, `query`). */
  context: (pass: string) => LayerContext;
  /**
   * The head on the traced features: returns the loss and, when `keep` is set, the outputs to hand back
   * (they are kept past the gradient scope here).
   */
  head: (sf: tf.Tensor4D, qf: tf.Tensor4D, keep: boolean) => { loss: tf.Scalar; output?: ForwardOutput };
  opts: GradientOptions;
}

export function episodeGradients(spec: EpisodeGradientSpec): GradientResult {
  const { backbone, store, batch, opts } = spec;
  const keep = !!(opts.keepOutput || opts.intermediates);
  const clock = opts.timings ? () => performance.now() : () => 0;
  const t0 = clock();
  const context = (pass: string): LayerContext => ({
    ...spec.context(pass),
    ...(opts.branches && { branches: opts.branches }),
    ...(opts.chunkBytes && { chunkBytes: opts.chunkBytes }),
  });
  const st = backbone.trace(batch.support, context('support'));
  let qt: BackboneTrace | null = null;
  const named = new Map<string, tf.Tensor>();
  let loss: tf.Scalar | null = null;
  let output: ForwardOutput | undefined;
  try {
    qt = backbone.trace(batch.query, context('query'));
    const sf = st.features;
    const qf = qt.features;
    const t1 = clock();
    const headVars = [...store.params].filter(([n]) => n.startsWith('head.'));
    const res = tf.engine().gradients(
      () => {
        const h = spec.head(sf, qf, keep);
        if (keep && h.output) {
          output = h.output;
          for (const t of Object.values(output) as tf.Tensor[]) tf.keep(t);
        }
        return h.loss;
      },
      [sf, qf, ...headVars.map(([, v]) => v)],
      undefined,
      true,
    );
    loss = res.value as tf.Scalar;
    const [dsf, dqf, ...dHead] = res.grads;
    headVars.forEach(([name], i) => {
      if (dHead[i]) named.set(name, dHead[i]);
    });
    if (output && opts.intermediates)
      Object.assign(output, { supportFeatures: tf.clone(sf), queryFeatures: tf.clone(qf) });
    const t2 = clock();
    // Every method's loss depends on both feature sets; a missing gradient means a broken head.
    if (!dsf || !dqf) {
      tf.dispose([dsf, dqf].filter((d): d is tf.Tensor => !!d));
      throw new Error('model: the loss does not depend on both feature sets');
    }
    for (const [trace, d] of [
      [qt, dqf],
      [st, dsf],
    ] as const) {
      const g = trace.backward(d as tf.Tensor4D);
      d.dispose();
      for (const [name, t] of g) accumulate(named, name, t);
    }
    if (opts.timings)
      Object.assign(opts.timings, {
        backboneForwardMs: t1 - t0,
        headMs: t2 - t1,
        backboneBackwardMs: clock() - t2,
      });
  } catch (e) {
    tf.dispose([...named.values(), ...(loss ? [loss] : [])]);
    if (output) disposeOutput(output);
    throw e;
  } finally {
    st.dispose();
    qt?.dispose();
  }
  // Parameters with no path to the loss get an exact zero: the conv biases before a batch-statistics
  // BatchNorm (they cancel), the unused head of an ablation.
  const grads = new Map<string, tf.Tensor>();
  for (const [name, v] of store.params) grads.set(name, named.get(name) ?? tf.zerosLike(v));
  return { loss: loss as tf.Scalar, grads, output };
}
