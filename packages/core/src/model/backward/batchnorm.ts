/**
 * BatchNorm (+ activation), channels last, over every axis but the last.
 *
 * With batch statistics it is one `tf.customGrad` op with the closed-form gradient
 *   dx = gamma * rsqrt(var + eps) * (dy - mean(dy) - xhat * mean(dy * xhat)),
 * because tf.batchNorm's gradient uses Tile, slow on wasm. The activation is fused in, and so is the residual
 * sum of ResNet-12 (act(BN(a) + BN(b)) is one op), so that fewer activation-sized tensors are kept for the
 * backward pass: per BatchNorm only xhat, plus the output when an activation needs its derivative.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  BATCH_NORM_ACT_BACKWARD,
  BATCH_NORM_ACT_FORWARD,
  BATCH_NORM_ACT_OUTPUT,
  batchNormActReady,
  computeOptions,
  type BatchNormActBackwardAttrs,
  type BatchNormActForwardAttrs,
  type BatchNormActOutputAttrs,
} from '../../backend/browser.js';
import { branchKey, overrideActivation, type ActivationSites, type BranchOverrides } from './branches.js';
import { maxPool2Grad, type MaxPoolOverride } from './grad-kernels.js';
import type { ParamStore } from '../params.js';

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
  /** Which pass this call belongs to (`support`, `query`, `head`): names the call for `branches`. */
  pass?: string;
  /** Test-only branch overrides at activation near-ties (see branches.ts); absent in normal use. */
  branches?: BranchOverrides;
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
function colSum(x: tf.Tensor2D): tf.Tensor2D {
  return tf.sum(x, 0, true);
}

function activate(x: tf.Tensor, activation: Activation, slope: number): tf.Tensor {
  if (activation === 'relu') return tf.relu(x);
  if (activation === 'leaky') return tf.leakyRelu(x, slope);
  return x;
}

/** One input of a (summed) BatchNorm: the tensor, its layer, the conv bias skipped before it. */
export interface BatchNormInput {
  x: tf.Tensor;
  bn: BatchNormLayer;
  preBias?: tf.Tensor1D;
}

/** What the backward pass of a batch-statistics BatchNorm needs; owned by whoever holds it. */
export interface BatchNormCache {
  xhats: tf.Tensor2D[];
  rstds: tf.Tensor[];
  gammas: tf.Tensor[];
  betas: tf.Tensor[];
  /** The output, if kept; else `batchNormOutput` recomputes it (bit-identically) from the xhats. */
  out: tf.Tensor | null;
  /** Branch overrides of this call's activation, and the call's name for errors. */
  sites: ActivationSites | null;
  call: string;
  shape: number[];
}

export function disposeCache(cache: BatchNormCache): void {
  tf.dispose([...cache.xhats, ...cache.rstds, ...(cache.out ? [cache.out] : [])]);
}

/** Normalises x [M, C] with its own statistics; updates the running statistics when asked. */
function normalise(
  x2: tf.Tensor2D,
  inp: BatchNormInput,
  opts: BatchNormOptions,
): { xhat: tf.Tensor2D; rstd: tf.Tensor } & tf.TensorContainerObject {
  const m = x2.shape[0];
  const mean = tf.div(colSum(x2), m);
  const xc = tf.sub(x2, mean);
  const variance = tf.div(colSum(tf.square(xc) as tf.Tensor2D), m);
  const rstd = tf.rsqrt(tf.add(variance, opts.eps));
  if (opts.updateStats) updateRunningStats(inp, mean, variance, m, opts);
  return { xhat: tf.mul(xc, rstd) as tf.Tensor2D, rstd };
}

/** Running-statistics update from a pass's [1, C] mean and biased variance over m values (call in a tidy). */
export function updateRunningStats(
  inp: Pick<BatchNormInput, 'bn' | 'preBias'>,
  mean: tf.Tensor,
  variance: tf.Tensor,
  m: number,
  opts: BatchNormOptions,
): void {
  const { bn } = inp;
  const c = mean.size;
  const mo = opts.momentum;
  const batchMean = inp.preBias ? tf.add(tf.reshape(mean, [c]), inp.preBias) : tf.reshape(mean, [c]);
  // PyTorch stores the unbiased variance but normalises with the biased one.
  const unbiased = tf.mul(tf.reshape(variance, [c]), m > 1 ? m / (m - 1) : 1);
  bn.runningMean.assign(tf.add(tf.mul(bn.runningMean, 1 - mo), tf.mul(batchMean, mo)));
  bn.runningVar.assign(tf.add(tf.mul(bn.runningVar, 1 - mo), tf.mul(unbiased, mo)));
}

/**
 * act(sum_i xhat_i * gamma_i + beta_i) reshaped to `shape`, freeing temporaries eagerly. The forward pass
 * and `batchNormOutput` both compute it here, so a recomputed output equals the original bit for bit.
 */
export function affineAct(
  xhats: tf.Tensor2D[],
  gammas: tf.Tensor[],
  betas: tf.Tensor[],
  opts: BatchNormOptions,
  shape: number[],
): tf.Tensor {
  let pre: tf.Tensor | null = null;
  xhats.forEach((xhat, i) => {
    const term = tf.tidy(() => tf.add(tf.mul(xhat, gammas[i]), betas[i]));
    if (pre) {
      const sum: tf.Tensor = tf.add(pre, term);
      tf.dispose([pre, term]);
      pre = sum;
    } else {
      pre = term;
    }
  });
  const p = pre as unknown as tf.Tensor;
  const act = activate(p, opts.activation, opts.slope);
  if (act !== p) p.dispose();
  const out = tf.reshape(act, shape);
  if (out !== act) act.dispose();
  return out;
}

/** The layer's output, from the cache (a new tensor the caller disposes); one pass where fused. */
export function batchNormOutput(cache: BatchNormCache, opts: BatchNormOptions): tf.Tensor {
  if (cache.out) return tf.clone(cache.out);
  if (fusedApplies(cache.xhats.length, cache.shape, false)) {
    const attrs: BatchNormActOutputAttrs = {
      activation: opts.activation,
      slope: opts.slope,
      shape: cache.shape,
    };
    return tf
      .engine()
      .runKernel(
        BATCH_NORM_ACT_OUTPUT,
        { xhat: cache.xhats[0], gamma: cache.gammas[0], beta: cache.betas[0] },
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor;
  }
  return affineAct(cache.xhats, cache.gammas, cache.betas, opts, cache.shape);
}

/**
 * Forward pass of act(sum_i BN_i(x_i)) with batch statistics, outside any gradient tape. With `keep`, the
 * returned cache holds what `batchNormBackward` needs: the xhats, and the output only with `keepOut` (the
 * cache then shares it with the caller's result; each disposes its own handle).
 */
export function batchNormForward(
  inputs: BatchNormInput[],
  opts: BatchNormOptions,
  keep: boolean,
  keepOut = false,
): { out: tf.Tensor; cache: BatchNormCache | null } {
  if (fusedApplies(inputs.length, inputs[0].x.shape, false))
    return fusedForward(inputs, opts, keep, keepOut, false);
  const shape = inputs[0].x.shape;
  const c = shape[shape.length - 1];
  const m = inputs[0].x.size / c;
  const xhats: tf.Tensor2D[] = [];
  const rstds: tf.Tensor[] = [];
  for (const inp of inputs) {
    const { xhat, rstd } = tf.tidy(() => normalise(tf.reshape(inp.x, [m, c]) as tf.Tensor2D, inp, opts));
    xhats.push(xhat);
    rstds.push(rstd);
  }
  const gammas = inputs.map((i) => i.bn.gamma);
  const betas = inputs.map((i) => i.bn.beta);
  const out = affineAct(xhats, gammas, betas, opts, shape);
  if (!keep) {
    tf.dispose([...xhats, ...rstds]);
    return { out, cache: null };
  }
  // Only with overrides (tests) is the call named and looked up.
  const overrides = opts.activation !== 'none' ? opts.branches?.activations : undefined;
  const call = overrides ? branchKey(opts.pass ?? '', inputs.map((i) => i.bn.name).join('+')) : '';
  const sites = overrides?.get(call) ?? null;
  const kept = keepOut && opts.activation !== 'none' ? tf.clone(out) : null;
  return { out, cache: { xhats, rstds, gammas, betas, out: kept, sites, call, shape } };
}

/** The activation's derivative as a 0/1 (ReLU) or slope/1 (LeakyReLU) mask read off its output, with overrides. */
function activationMask(out: tf.Tensor, opts: BatchNormOptions, cache: BatchNormCache): tf.Tensor {
  const low = opts.activation === 'leaky' ? opts.slope : 0;
  const mask = tf.step(out, low);
  const checks = opts.branches?.checks;
  if (!cache.sites?.index.length || !checks) return mask;
  const fixed = overrideActivation(mask, low, cache.sites, cache.call, checks, preActivationAt(cache));
  mask.dispose();
  return fixed;
}

/** Test-only branch overrides apply to this call's activation (then only the composite path is used). */
function activationOverridden(cache: BatchNormCache, opts: BatchNormOptions): boolean {
  return !!cache.sites?.index.length && !!opts.branches?.checks;
}

/** Our pre-activation at flat NHWC indices, recomputed on the device from the cache (for checking sites). */
function preActivationAt(cache: BatchNormCache): (flat: tf.Tensor1D, channel: tf.Tensor1D) => tf.Tensor {
  return (flat, channel) =>
    cache.xhats
      .map((x, j) =>
        tf.add(
          tf.mul(tf.gather(tf.reshape(x, [-1]), flat), tf.gather(cache.gammas[j], channel)),
          tf.gather(cache.betas[j], channel),
        ),
      )
      .reduce((a, b) => tf.add(a, b));
}

/**
 * Gradients of act(sum_i BN_i(x_i)) for upstream `dy`: per input dx, dgamma, dbeta (closed form),
 * dx = gamma * rstd * (dpre - mean(dpre) - xhat * mean(dpre * xhat)). `out` is the layer's output if the
 * caller has it (else it is recomputed when the activation needs it). Temporaries are freed as soon as they
 * are consumed (at most four activation-sized tensors live at once): this is the peak of a training step.
 */
export function batchNormBackward(
  dy: tf.Tensor,
  cache: BatchNormCache,
  opts: BatchNormOptions,
  out?: tf.Tensor,
): { dx: tf.Tensor[]; dGamma: tf.Tensor1D[]; dBeta: tf.Tensor1D[] } {
  if (fusedApplies(cache.xhats.length, cache.shape, false) && !activationOverridden(cache, opts))
    return fusedBackward(dy, cache, opts, false);
  const { shape } = cache;
  const c = shape[shape.length - 1];
  const m = dy.size / c;
  const free = (...ts: tf.Tensor[]) => tf.dispose(ts);
  let dpre = dy;
  if (opts.activation !== 'none') {
    const y = out ?? batchNormOutput(cache, opts);
    const mask = activationMask(y, opts, cache);
    if (y !== out) free(y);
    dpre = tf.mul(dy, mask);
    free(mask);
  }
  const d2 = tf.reshape(dpre, [m, c]) as tf.Tensor2D;
  const dBeta = colSum(d2);
  const res = { dx: [] as tf.Tensor[], dGamma: [] as tf.Tensor1D[], dBeta: [] as tf.Tensor1D[] };
  cache.xhats.forEach((xhat, i) => {
    const prod = tf.mul(d2, xhat) as tf.Tensor2D;
    const dGamma = colSum(prod);
    free(prod);
    // dx = d2 * s - xhat * (s * mean(dpre * xhat)) - s * mean(dpre), with s = gamma * rstd per channel.
    const [scale, k, offset] = tf.tidy(() => {
      const sc = tf.mul(cache.gammas[i], cache.rstds[i]);
      return [sc, tf.mul(sc, tf.div(dGamma, m)), tf.mul(sc, tf.div(dBeta, m))];
    });
    const u = tf.mul(d2, scale);
    const v = tf.mul(xhat, k);
    const w = tf.sub(u, v);
    free(u, v);
    const dx = tf.sub(w, offset);
    free(w, scale, k, offset);
    res.dx.push(tf.reshape(dx, shape));
    if (res.dx[i] !== dx) dx.dispose();
    res.dGamma.push(tf.reshape(dGamma, [c]) as tf.Tensor1D);
    free(dGamma);
    res.dBeta.push(tf.reshape(dBeta, [c]) as tf.Tensor1D);
  });
  free(dBeta, d2);
  if (dpre !== dy) dpre.dispose();
  return res;
}

/** The same as a tf.customGrad op, for code differentiated by TF.js's autodiff (the head). */
function batchStatOp(inputs: BatchNormInput[], opts: BatchNormOptions): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const { out, cache } = batchNormForward(
      inputs.map((inp, i) => ({ ...inp, x: args[3 * i] as tf.Tensor })),
      opts,
      true,
    );
    const cc = cache as unknown as BatchNormCache;
    // save() clones; the cache's own copies are released when this op's forward scope ends.
    save([...cc.xhats, ...cc.rstds, ...(cc.out ? [cc.out] : [])]);
    tf.dispose([...cc.xhats, ...cc.rstds]);
    const n = inputs.length;
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const c2: BatchNormCache = {
          ...cc,
          xhats: saved.slice(0, n) as tf.Tensor2D[],
          rstds: saved.slice(n, 2 * n),
          out: cc.out ? saved[2 * n] : null,
        };
        const g = batchNormBackward(dy, c2, opts);
        return inputs.flatMap((_, i) => [g.dx[i], g.dGamma[i], g.dBeta[i]]);
      },
    };
  });
  return op(...inputs.flatMap((i) => [i.x, i.bn.gamma, i.bn.beta]));
}

/** Running statistics: y = x * scale + shift, with the skipped conv bias folded into the shift. */
function runningStatTerm(inp: BatchNormInput, eps: number): tf.Tensor {
  const { bn } = inp;
  const scale = tf.mul(bn.gamma, tf.rsqrt(tf.add(bn.runningVar, eps)));
  const centre = inp.preBias ? tf.sub(inp.preBias, bn.runningMean) : tf.neg(bn.runningMean);
  return tf.add(tf.mul(inp.x, scale), tf.add(bn.beta, tf.mul(centre, scale)));
}

/** act(BN(x)) with running statistics (differentiable by TF.js). */
export function runningBatchNorm(inputs: BatchNormInput[], opts: BatchNormOptions): tf.Tensor {
  return tf.tidy(() => {
    const sum = inputs.map((i) => runningStatTerm(i, opts.eps)).reduce((a, b) => tf.add(a, b));
    return activate(sum, opts.activation, opts.slope);
  });
}

/** act(BN_1(x_1) + BN_2(x_2) + ...), all inputs of one shape, differentiable by TF.js; see `BatchNormOptions`. */
export function batchNormSumAct<T extends tf.Tensor>(inputs: BatchNormInput[], opts: BatchNormOptions): T {
  if (!inputs.length) throw new Error('batchNormSumAct: no inputs');
  for (const i of inputs) {
    if (!tf.util.arraysEqual(i.x.shape, inputs[0].x.shape))
      throw new Error(`batchNormSumAct: shapes differ (${i.bn.name})`);
  }
  return (opts.batchStats ? batchStatOp(inputs, opts) : runningBatchNorm(inputs, opts)) as T;
}

/** BatchNorm then activation; see `BatchNormOptions`. */
export function batchNormAct<T extends tf.Tensor>(x: T, bn: BatchNormLayer, opts: BatchNormOptions): T {
  return batchNormSumAct<T>([{ x, bn, preBias: opts.preBias }], opts);
}

// ---------------------------------------------------------------------------------------------------------
// Fused kernels (backend/kernels/BatchNormAct.ts): one BatchNorm + activation (+ 2x2 max-pool) in a few passes
// over memory on backends that register them (wasm), the composite above elsewhere. Same cache either way.

/**
 * TF.js's tape is recording this op (autodiff through `backbone.apply`, e.g. a whole-model gradient check):
 * the fused kernels have no registered gradient, so the differentiable composite runs instead. Inside a
 * customGrad's forward (kernelDepth > 0) and in the hand-scheduled backbone pass nothing is recorded.
 */
function tapeRecording(): boolean {
  const state = tf.engine().state as unknown as { gradientDepth: number; kernelDepth: number };
  return state.gradientDepth > 0 && state.kernelDepth === 0;
}

/** The fused kernels take one input, or two summed before the activation when a pool follows. */
function fusedApplies(inputs: number, shape: number[], pool: boolean): boolean {
  return (
    computeOptions().batchNorm.fused &&
    (inputs === 1 || (inputs === 2 && pool)) &&
    !tapeRecording() &&
    tf.getKernel(BATCH_NORM_ACT_FORWARD, tf.getBackend()) !== undefined &&
    batchNormActReady(tf.backend(), shape[shape.length - 1])
  );
}

function fusedForward(
  inputs: BatchNormInput[],
  opts: BatchNormOptions,
  keep: boolean,
  keepOut: boolean,
  pool: boolean,
): { out: tf.Tensor; cache: BatchNormCache | null } {
  const attrs: BatchNormActForwardAttrs = {
    eps: opts.eps,
    activation: opts.activation,
    slope: opts.slope,
    pool,
  };
  const [a, b] = inputs;
  const named: tf.NamedTensorMap = { x: a.x, gamma: a.bn.gamma, beta: a.bn.beta };
  if (b) Object.assign(named, { x2: b.x, gamma2: b.bn.gamma, beta2: b.bn.beta });
  // Outputs: xhat, out, mean, variance, rstd, then the second input's xhat, mean, variance, rstd.
  const [xhat, out, mean, variance, rstd, ...second] = tf
    .engine()
    .runKernel(BATCH_NORM_ACT_FORWARD, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  const perInput = [{ xhat, mean, variance, rstd }];
  if (b) perInput.push({ xhat: second[0], mean: second[1], variance: second[2], rstd: second[3] });
  if (opts.updateStats)
    tf.tidy(() =>
      perInput.forEach((r, i) => updateRunningStats(inputs[i], r.mean, r.variance, xhat.shape[0], opts)),
    );
  tf.dispose(perInput.flatMap((r) => [r.mean, r.variance]));
  if (!keep) {
    tf.dispose(perInput.flatMap((r) => [r.xhat, r.rstd]));
    return { out, cache: null };
  }
  const overrides = opts.activation !== 'none' ? opts.branches?.activations : undefined;
  const call = overrides ? branchKey(opts.pass ?? '', inputs.map((i) => i.bn.name).join('+')) : '';
  const sites = overrides?.get(call) ?? null;
  const kept = keepOut && !pool && opts.activation !== 'none' ? tf.clone(out) : null;
  return {
    out,
    cache: {
      xhats: perInput.map((r) => r.xhat as tf.Tensor2D),
      rstds: perInput.map((r) => r.rstd),
      gammas: inputs.map((i) => i.bn.gamma),
      betas: inputs.map((i) => i.bn.beta),
      out: kept,
      sites,
      call,
      shape: a.x.shape,
    },
  };
}

function fusedBackward(
  dy: tf.Tensor,
  cache: BatchNormCache,
  opts: BatchNormOptions,
  pool: boolean,
): { dx: tf.Tensor[]; dGamma: tf.Tensor1D[]; dBeta: tf.Tensor1D[] } {
  const attrs: BatchNormActBackwardAttrs = {
    activation: opts.activation,
    slope: opts.slope,
    pool,
    shape: cache.shape,
  };
  const named: tf.NamedTensorMap = {
    dy,
    xhat: cache.xhats[0],
    gamma: cache.gammas[0],
    beta: cache.betas[0],
    rstd: cache.rstds[0],
  };
  if (cache.xhats.length === 2)
    Object.assign(named, {
      xhat2: cache.xhats[1],
      gamma2: cache.gammas[1],
      beta2: cache.betas[1],
      rstd2: cache.rstds[1],
    });
  // dx, dGamma, dBeta per input.
  const outs = tf
    .engine()
    .runKernel(BATCH_NORM_ACT_BACKWARD, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  const res = { dx: [] as tf.Tensor[], dGamma: [] as tf.Tensor1D[], dBeta: [] as tf.Tensor1D[] };
  for (let i = 0; i < outs.length; i += 3) {
    res.dx.push(outs[i]);
    res.dGamma.push(outs[i + 1] as tf.Tensor1D);
    res.dBeta.push(outs[i + 2] as tf.Tensor1D);
  }
  return res;
}

/**
 * maxPool(act(sum_i BN_i(x_i)), 2, 2, 'valid') with batch statistics, for one input or two (ResNet-12's
 * residual tail), and with `keep` the cache for `batchNormPoolBackward` (the activation before the pool is
 * never kept, nor, fused, even written).
 */
export function batchNormPoolForward(
  inputs: BatchNormInput | BatchNormInput[],
  opts: BatchNormOptions,
  keep: boolean,
): { out: tf.Tensor4D; cache: BatchNormCache | null } {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (fusedApplies(list.length, list[0].x.shape, true)) {
    const r = fusedForward(list, opts, keep, false, true);
    return { out: r.out as tf.Tensor4D, cache: r.cache };
  }
  const r = batchNormForward(list, opts, keep);
  const out = tf.maxPool(r.out as tf.Tensor4D, 2, 2, 'valid');
  r.out.dispose();
  return { out, cache: r.cache };
}

/**
 * Gradients of `batchNormPoolForward` for the pooled output's gradient `dOut`; `pooled` is that output.
 * With max-pool overrides (tests) or activation overrides, the composite path: recompute the activation,
 * MaxPoolGrad, `batchNormBackward`.
 */
export function batchNormPoolBackward(
  dOut: tf.Tensor4D,
  cache: BatchNormCache,
  opts: BatchNormOptions,
  pooled: tf.Tensor4D,
  poolOverride?: MaxPoolOverride,
): { dx: tf.Tensor[]; dGamma: tf.Tensor1D[]; dBeta: tf.Tensor1D[] } {
  if (
    fusedApplies(cache.xhats.length, cache.shape, true) &&
    !activationOverridden(cache, opts) &&
    !poolOverride?.sites.window.length
  )
    return fusedBackward(dOut, cache, opts, true);
  const act = batchNormOutput(cache, opts) as tf.Tensor4D;
  const dy = maxPool2Grad(dOut, act, pooled, poolOverride);
  const g = batchNormBackward(dy, cache, opts, act);
  tf.dispose([act, dy]);
  return g;
}
