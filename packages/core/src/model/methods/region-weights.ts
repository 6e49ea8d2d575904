/**
 * The region-weight network: for each query-support pair and region position k, 1x1 convs (no bias) on
 * [support region k ; query region k], each followed by BatchNorm (batch statistics over all pairs and
 * regions) and ReLU: 2C -> 64 -> 1 (Conv4) or 2C -> C -> 64 -> 1 (ResNet-12). Names: `head.meta_learner.{i}`
 * as in the reference nn.Sequential (conv, BN, ReLU, conv, BN, ReLU, ...).
 *
 * The first conv is W [s; q] = Ws s + Wq q, so supports and queries are projected separately and
 * broadcast-added, never materialising the [Q, S, R, 2C] concatenation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNormAct, createBatchNorm, type BatchNormLayer } from '../backward/batchnorm.js';
import type { BranchOverrides } from '../backward/branches.js';
import type { ParamStore } from '../params.js';

export interface HeadContext {
  /** Names this pass for diagnostics and `branches` (`head`). */
  pass?: string;
  /** Test-only branch overrides at near-ties (see backward/branches.ts); absent in normal use. */
  branches?: BranchOverrides;
  batchStats: boolean;
  updateStats: boolean;
  bnMomentum: number;
  bnEps: number;
}

/**
 * a [S, R, H] + b [Q, R, H] -> [Q, S, R, H]; the gradient sums dy over Q (a leading-axis Sum) and over S
 * (a middle-axis Sum): on wasm both are one SIMD pass (kernels/Reduce.ts). Measured there for the 5-way
 * 15-query head at 32 px: over Q ~0.3 ms, where the product with a row of ones used before took ~2.7 ms
 * (XNNPACK with one row); over S the batched product with ones took 3.5 ms, the JS Sum 1.7.
 */
const pairAdd = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b] = args as [tf.Tensor3D, tf.Tensor3D];
  const [s, r, h] = a.shape;
  const q = b.shape[0];
  return {
    value: tf.add(tf.reshape(b, [q, 1, r, h]), tf.reshape(a, [1, s, r, h])),
    gradFunc: (dy: tf.Tensor) =>
      tf.tidy(() => {
        const da = tf.sum(tf.reshape(dy, [q, s * r * h]), 0);
        const db = tf.sum(tf.reshape(dy, [q, s, r * h]), 1);
        return [tf.reshape(da, [s, r, h]), tf.reshape(db, [q, r, h])];
      }),
  };
});

interface WeightLayer {
  /** 1x1 conv kernel, TF.js layout [1, 1, in, out]. */
  weight: tf.Variable;
  bn: BatchNormLayer;
}

export class RegionWeightNet {
  private readonly layers: WeightLayer[] = [];

  /** `hidden`: widths after the first layer's input, e.g. [64, 1] (Conv4) or [C, 64, 1] (ResNet-12). */
  constructor(
    store: ParamStore,
    private readonly channels: number,
    hidden: readonly number[],
  ) {
    let inC = 2 * channels;
    hidden.forEach((outC, i) => {
      // Each stage is (conv, BN, ReLU) in the reference Sequential: indices 3i, 3i+1, 3i+2.
      this.layers.push({
        weight: store.conv(`head.meta_learner.${3 * i}.weight`, 1, 1, inC, outC),
        bn: createBatchNorm(store, `head.meta_learner.${3 * i + 1}`, outC),
      });
      inC = outC;
    });
  }

  /** support regions [S, R, C], query regions [Q, R, C] -> weights [Q, S, R]. */
  apply(support: tf.Tensor3D, query: tf.Tensor3D, ctx: HeadContext): tf.Tensor3D {
    const [s, r, c] = support.shape;
    const q = query.shape[0];
    return tf.tidy(() => {
      const bnOpts = {
        batchStats: ctx.batchStats,
        updateStats: ctx.updateStats,
        momentum: ctx.bnMomentum,
        eps: ctx.bnEps,
        activation: 'relu' as const,
        slope: 0,
        pass: ctx.pass,
        branches: ctx.branches,
      };
      const first = this.layers[0];
      const h1 = (first.weight.shape as number[])[3];
      const w0 = tf.reshape(first.weight, [2 * c, h1]) as tf.Tensor2D;
      // Support first in the concatenation, as in the reference.
      const ws = tf.slice(w0, [0, 0], [c, h1]);
      const wq = tf.slice(w0, [c, 0], [c, h1]);
      const ps = tf.reshape(tf.matMul(tf.reshape(support, [s * r, c]) as tf.Tensor2D, ws), [
        s,
        r,
        h1,
      ]) as tf.Tensor3D;
      const pq = tf.reshape(tf.matMul(tf.reshape(query, [q * r, c]) as tf.Tensor2D, wq), [
        q,
        r,
        h1,
      ]) as tf.Tensor3D;
      let x = tf.reshape(batchNormAct(pairAdd(ps, pq), first.bn, bnOpts), [q * s * r, h1]) as tf.Tensor2D;
      for (const layer of this.layers.slice(1)) {
        const [, , inC, outC] = layer.weight.shape as number[];
        x = batchNormAct(
          tf.matMul(x, tf.reshape(layer.weight, [inC, outC]) as tf.Tensor2D),
          layer.bn,
          bnOpts,
        );
      }
      return tf.reshape(x, [q, s, r]) as tf.Tensor3D;
    });
  }

  get inputChannels(): number {
    return this.channels;
  }
}
