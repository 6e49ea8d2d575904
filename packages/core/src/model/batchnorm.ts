/**
 * BatchNorm (+ activation), channels last, over every axis but the last.
 *
 * With batch statistics it is one `tf.customGrad` op with the closed-form gradient
 *   dx = gamma * rsqrt(var + eps) * (dy - mean(dy) - xhat * mean(dy * xhat)),
 * because tf.batchNorm's gradient uses Tile, slow on wasm. Channel sums are products with a row of ones
 * (fast GEMM) instead of reductions over leading axes (slow on wasm). The activation is fused in so that one
 * fewer activation-sized tensor is kept for the backward pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './params.js';

export type Activation = 'none' | 'relu' | 'leaky';

/** One BatchNorm layer's state, named as PyTorch names it (`<prefix>.weight`, `.bias`, `.running_mean`, `.running_var`). */
export interface BatchNormLayer {
  name: string;
  gamma: tf.Variable;
  beta: tf.Variable;
  runningMean: tf.Variable;
  runningVar: tf.Variable;
}

export function createBatchNorm(store: ParamStore, prefix: string, channels: number): BatchNormLayer {
  return {
    name: prefix,
    gamma: store.constant(`${prefix}.weight`, [channels], 1),
    beta: store.constant(`${prefix}.bias`, [channels], 0),
    runningMean: store.constant(`${prefix}.running_mean`, [channels], 0, false),
    runningVar: store.constant(`${prefix}.running_var`, [channels], 1, false),
  };
}

export interface BatchNormOptions {
  /** Normalise with this batch's statistics (training, or `bnInference: 'batch'`); else running statistics. */
  batchStats: boolean;
  /** Update the running statistics (training only). */
  updateStats: boolean;
  momentum: number;
  eps: number;
  activation: Activation;
  /** Negative slope of the `leaky` activation. */
  slope: number;
  /**
   * Bias of a conv that precedes this layer and was not added to `x`. With batch statistics it cancels
   * exactly, so it is skipped (a full pass saved); it still shifts the running mean and is applied when
   * normalising with running statistics.
   */
  preBias?: tf.Tensor1D;
}

/**
 * Column sums of a [M, C] matrix as [1, C]. A leading-axis Sum is one sequential pass on every backend
 * (on wasm, our Reduce kernel); a GEMM with a row of ones would repack all of x as a weight matrix first.
 */
function colSum(_ones: tf.Tensor2D | null, x: tf.Tensor2D): tf.Tensor2D {
  return tf.sum(x, 0, true);
}

function activate(x: tf.Tensor, activation: Activation, slope: number): tf.Tensor {
  if (activation === 'relu') return tf.relu(x);
  if (activation === 'leaky') return tf.leakyRelu(x, slope);
  return x;
}

/**
 * Chooses, for one batch-statistics BatchNorm call (layer name, input shape [..., C]), flat NHWC indices whose
 * activation derivative takes the other branch of the ReLU / LeakyReLU kink; null for none.
 */
export type KinkOverride = (layer: string, shape: readonly number[]) => readonly number[] | null;

let kinkOverride: KinkOverride | null = null;

/**
 * Test hook (null in normal use). Where a pre-activation is within float32 round-off of zero, an implementation
 * with another summation order can land on the other side of the kink; the golden tests replay the reference's
 * side at those few elements to show that they are the only source of gradient differences.
 */
export function setKinkOverride(f: KinkOverride | null): void {
  kinkOverride = f;
}

/** The activation's derivative as a 0/1 (ReLU) or slope/1 (LeakyReLU) mask read off its output, with overrides. */
function activationMask(out: tf.Tensor, opts: BatchNormOptions, flips: readonly number[] | null): tf.Tensor {
  const low = opts.activation === 'leaky' ? opts.slope : 0;
  const mask = tf.step(out, low);
  if (!flips?.length) return mask;
  const values = Float32Array.from(mask.dataSync());
  for (const i of flips) values[i] = values[i] === 1 ? low : 1;
  return tf.tensor(values, out.shape, 'float32');
}

function makeBatchStatOp(bn: BatchNormLayer, opts: BatchNormOptions) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const shape = x.shape;
    const c = shape[shape.length - 1];
    const m = x.size / c;
    const x2 = tf.reshape(x, [m, c]) as tf.Tensor2D;
    const mean = tf.div(colSum(null, x2), m);
    const xc = tf.sub(x2, mean);
    const variance = tf.div(colSum(null, tf.square(xc) as tf.Tensor2D), m);
    const rstd = tf.rsqrt(tf.add(variance, opts.eps));
    const xhat = tf.mul(xc, rstd);
    const out = tf.reshape(activate(tf.add(tf.mul(xhat, gamma), beta), opts.activation, opts.slope), shape);
    if (opts.updateStats) {
      const mo = opts.momentum;
      const batchMean = opts.preBias ? tf.add(tf.reshape(mean, [c]), opts.preBias) : tf.reshape(mean, [c]);
      // PyTorch stores the unbiased variance but normalises with the biased one.
      const unbiased = tf.mul(tf.reshape(variance, [c]), m > 1 ? m / (m - 1) : 1);
      bn.runningMean.assign(tf.add(tf.mul(bn.runningMean, 1 - mo), tf.mul(batchMean, mo)));
      bn.runningVar.assign(tf.add(tf.mul(bn.runningVar, 1 - mo), tf.mul(unbiased, mo)));
    }
    const flips = opts.activation !== 'none' && kinkOverride ? kinkOverride(bn.name, shape) : null;
    save([xhat, rstd, out]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sXhat, sRstd, sOut] = saved;
        // Derivative of the activation, read off its output (both are monotone, zero-preserving).
        const dpre = opts.activation === 'none' ? dy : tf.mul(dy, activationMask(sOut, opts, flips));
        const d2 = tf.reshape(dpre, [m, c]) as tf.Tensor2D;
        const dBeta = colSum(null, d2);
        const dGamma = colSum(null, tf.mul(d2, sXhat) as tf.Tensor2D);
        const inner = tf.sub(tf.sub(d2, tf.div(dBeta, m)), tf.mul(sXhat, tf.div(dGamma, m)));
        const dx = tf.reshape(tf.mul(inner, tf.mul(gamma, sRstd)), shape);
        return [dx, tf.reshape(dGamma, [c]), tf.reshape(dBeta, [c])];
      },
    };
  });
}

/** BatchNorm then activation; see `BatchNormOptions`. */
export function batchNormAct<T extends tf.Tensor>(x: T, bn: BatchNormLayer, opts: BatchNormOptions): T {
  if (opts.batchStats) return makeBatchStatOp(bn, opts)(x, bn.gamma, bn.beta) as T;
  return tf.tidy(() => {
    // Running statistics: y = x * scale + shift, with the skipped conv bias folded into the shift.
    const scale = tf.mul(bn.gamma, tf.rsqrt(tf.add(bn.runningVar, opts.eps)));
    const centre = opts.preBias ? tf.sub(opts.preBias, bn.runningMean) : tf.neg(bn.runningMean);
    const shift = tf.add(bn.beta, tf.mul(centre, scale));
    return activate(tf.add(tf.mul(x, scale), shift), opts.activation, opts.slope) as T;
  });
}
