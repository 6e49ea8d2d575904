/**
 * Batch-statistics BatchNorm + activation (+ the 2x2 max-pool after it), forward and backward, each in a
 * few SIMD passes over memory. The same layer written with tf ops (model/backward/batchnorm.ts) runs ~15 elementwise
 * kernels and reductions, each a full pass over an activation-sized tensor, and at 84 px Conv4's first layer
 * holds 34 M floats per pass: those passes were a quarter of a training step. Plain JS loops over heap views
 * were tried first and lost to the stock kernels (scalar JS is several times slower per pass than wasm
 * SIMD), so the passes are in our own wasm module (packages/core/wasm/batchnorm_act.c; see simd.ts), which
 * works on the tensors in place in TF.js's heap.
 *
 * Custom kernels (no stock counterpart), registered on wasm only; model/backward/batchnorm.ts calls them when the
 * backend has them and otherwise runs its composite, which is what test/backend/kernels.test.ts checks
 * them against on the cpu backend. Every float32 rounding of the composite is reproduced (Math.fround
 * after each op, float64 accumulators like our Reduce kernel), so the two agree to the last bits except for
 * summation order and the batch statistics' sums, whose blocks of 8 rows are first summed in float32
 * (wasm/batchnorm_act.c: a quarter as many values widened to float64; relative error ~2e-7 per block).
 *
 * Forward: inputs x [M, C] (any shape with C last), gamma, beta [C]; outputs xhat [M, C], the activation
 * (x's shape, or pooled [B, H/2, W/2, C] with `pool`), and per channel the batch mean, the biased variance
 * and rstd = 1 / sqrt(var + eps) (as [1, C], like the composite).
 * Backward: inputs dy (the output's gradient, pooled when `pool`), xhat, gamma, beta, rstd; attrs `shape`
 * (the pre-pool [B, H, W, C]); outputs dx (`shape`), dgamma, dbeta [C]. The activation, and with `pool`
 * the window maxima (first maximum wins, as MaxPoolGrad routes), are recomputed from xhat, so the forward
 * pass keeps only xhat.
 * Two inputs (pool only): ResNet-12's residual tail, maxPool(act(BN(x) + BN(x2))). The forward kernel
 * takes x2, gamma2, beta2 too and also outputs xhat2, mean2, variance2, rstd2; the backward kernel takes
 * xhat2, gamma2, beta2, rstd2 and outputs dx2, dgamma2, dbeta2 after the first input's three.
 * Output (RcnBatchNormActOutput): act(xhat * gamma + beta) in `shape`, the layer's output recomputed from
 * its cache where the backward pass needs it as an input (ResNet-12's first two layers of a block).
 */
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { emscripten, heap, ptr, simdExports, simdReady, type SimdExports } from './simd.js';

export const BATCH_NORM_ACT_FORWARD = 'RcnBatchNormActForward';
export const BATCH_NORM_ACT_BACKWARD = 'RcnBatchNormActBackward';
export const BATCH_NORM_ACT_OUTPUT = 'RcnBatchNormActOutput';

export type FusedActivation = 'none' | 'relu' | 'leaky';

export interface BatchNormActForwardAttrs {
  eps: number;
  activation: FusedActivation;
  slope: number;
  /** Follow with a 2x2 stride-2 valid max-pool (x must be 4D). */
  pool: boolean;
}

/** The output recomputed from the cache: act(xhat * gamma + beta), reshaped to `shape`. */
export interface BatchNormActOutputAttrs {
  activation: FusedActivation;
  slope: number;
  shape: number[];
}

export interface BatchNormActBackwardAttrs {
  activation: FusedActivation;
  slope: number;
  pool: boolean;
  /** The layer's pre-pool shape (x's shape in the forward pass). */
  shape: number[];
}

const f32 = Math.fround;

function moduleFor(backend: BackendWasm, c: number, kernel: string): SimdExports {
  if (c % 4 !== 0) throw new Error(`${kernel}: ${c} channels (need a multiple of 4)`);
  return simdExports(backend, kernel);
}

/** The fused kernels can run on this backend for `channels` channels (SIMD works on 4 at a time). */
export function batchNormActReady(backend: unknown, channels: number): boolean {
  return channels % 4 === 0 && simdReady(backend);
}

const ACT_CODE: Record<FusedActivation, number> = { none: 0, relu: 1, leaky: 2 };

/** Per-channel batch statistics of x [m, c] into mean, variance and rstd, rounded as the composite rounds. */
function statistics(
  backend: BackendWasm,
  mod: SimdExports,
  x: TensorInfo,
  m: number,
  c: number,
  eps: number,
): { mean: TensorInfo; variance: TensorInfo; rstd: TensorInfo } {
  const meanInfo = backend.makeOutput([c], 'float32');
  const varInfo = backend.makeOutput([c], 'float32');
  const rstdInfo = backend.makeOutput([1, c], 'float32');
  const e = emscripten(backend);
  const accPtr = e._malloc(8 * c);
  try {
    // Views only after the last allocation: growing the heap detaches older views.
    const acc = new Float64Array(heap(backend), accPtr, c);
    const mean = new Float32Array(heap(backend), ptr(backend, meanInfo), c);
    const variance = new Float32Array(heap(backend), ptr(backend, varInfo), c);
    const rstd = new Float32Array(heap(backend), ptr(backend, rstdInfo), c);
    acc.fill(0);
    mod.bn_sum(ptr(backend, x), m, c, 1, accPtr);
    // Rounded as the composite rounds: the float32 sum, then a float32 division.
    for (let k = 0; k < c; k++) mean[k] = f32(acc[k]) / m;
    acc.fill(0);
    mod.bn_sqdev(ptr(backend, x), m, c, ptr(backend, meanInfo), accPtr);
    for (let k = 0; k < c; k++) {
      variance[k] = f32(acc[k]) / m;
      rstd[k] = 1 / f32(Math.sqrt(f32(variance[k] + f32(eps))));
    }
  } finally {
    e._free(accPtr);
  }
  return { mean: meanInfo, variance: varInfo, rstd: rstdInfo };
}

/** The pair kernels need two inputs of one shape, summed before the activation and pooled. */
function checkPair(kernel: string, pool: boolean, shape: number[], other: TensorInfo | undefined): void {
  if (!other) return;
  if (!pool) throw new Error(`${kernel}: a second input needs pool (the residual tail's layout)`);
  if (!util.arraysEqual(other.shape, shape))
    throw new Error(`${kernel}: the second input is [${other.shape}], the first [${shape}]`);
}

function forward(args: {
  inputs: {
    x: TensorInfo;
    gamma: TensorInfo;
    beta: TensorInfo;
    x2?: TensorInfo;
    gamma2?: TensorInfo;
    beta2?: TensorInfo;
  };
  backend: BackendWasm;
  attrs: BatchNormActForwardAttrs;
}): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { x, x2 } = inputs;
  const { pool } = attrs;
  const shape = x.shape;
  const c = shape[shape.length - 1];
  const mod = moduleFor(backend, c, BATCH_NORM_ACT_FORWARD);
  const m = util.sizeFromShape(shape) / c;
  if (pool && shape.length !== 4)
    throw new Error(`${BATCH_NORM_ACT_FORWARD}: pool needs NHWC, got [${shape}]`);
  checkPair(BATCH_NORM_ACT_FORWARD, pool, shape, x2);
  const [n, h, w] = shape;
  const xhatInfo = backend.makeOutput([m, c], 'float32');
  const outInfo = backend.makeOutput(pool ? [n, Math.floor(h / 2), Math.floor(w / 2), c] : shape, 'float32');
  const st = statistics(backend, mod, x, m, c, attrs.eps);
  const common = [
    ptr(backend, st.mean),
    ptr(backend, st.rstd),
    ptr(backend, inputs.gamma),
    ptr(backend, inputs.beta),
  ] as const;
  const act = ACT_CODE[attrs.activation];
  const first = [xhatInfo, outInfo, st.mean, st.variance, st.rstd];
  if (!x2) {
    const tail = [act, attrs.slope, ptr(backend, xhatInfo), ptr(backend, outInfo)] as const;
    if (pool) mod.bn_norm_act_pool(ptr(backend, x), n, h, w, c, ...common, ...tail);
    else mod.bn_norm_act(ptr(backend, x), m, c, ...common, ...tail);
    return first;
  }
  const xhat2Info = backend.makeOutput([m, c], 'float32');
  const st2 = statistics(backend, mod, x2, m, c, attrs.eps);
  const e = emscripten(backend);
  // The second input's per-channel parameters, contiguous: mean2, rstd2, gamma2, beta2.
  const p2 = e._malloc(16 * c);
  try {
    const block = new Float32Array(heap(backend), p2, 4 * c);
    [st2.mean, st2.rstd, inputs.gamma2!, inputs.beta2!].forEach((t, i) =>
      block.set(new Float32Array(heap(backend), ptr(backend, t), c), i * c),
    );
    mod.bn2_norm_act_pool(
      ptr(backend, x),
      ptr(backend, x2),
      n,
      h,
      w,
      c,
      ...common,
      p2,
      act,
      attrs.slope,
      ptr(backend, xhatInfo),
      ptr(backend, xhat2Info),
      ptr(backend, outInfo),
    );
  } finally {
    e._free(p2);
  }
  return [...first, xhat2Info, st2.mean, st2.variance, st2.rstd];
}

function backward(args: {
  inputs: {
    dy: TensorInfo;
    xhat: TensorInfo;
    gamma: TensorInfo;
    beta: TensorInfo;
    rstd: TensorInfo;
    xhat2?: TensorInfo;
    gamma2?: TensorInfo;
    beta2?: TensorInfo;
    rstd2?: TensorInfo;
  };
  backend: BackendWasm;
  attrs: BatchNormActBackwardAttrs;
}): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { pool, shape } = attrs;
  const c = shape[shape.length - 1];
  const mod = moduleFor(backend, c, BATCH_NORM_ACT_BACKWARD);
  const m = util.sizeFromShape(shape) / c;
  const [n, h, w] = shape;
  const two = inputs.xhat2 !== undefined;
  checkPair(BATCH_NORM_ACT_BACKWARD, pool, inputs.xhat.shape, inputs.xhat2);
  const ni = two ? 2 : 1;
  const outs = Array.from({ length: ni }, () => ({
    dx: backend.makeOutput(shape, 'float32'),
    dGamma: backend.makeOutput([c], 'float32'),
    dBeta: backend.makeOutput([c], 'float32'),
  }));
  const e = emscripten(backend);
  // acc: float64 [(1 + ni) c] (sum dpre, then sum dpre * xhat per input); then float32 [3 ni c] (scale, kx,
  // off per input) after it.
  const accBytes = 8 * (1 + ni) * c;
  const scratch = e._malloc(accBytes + 12 * ni * c);
  // Pool: which of its window's four positions won, per pooled element.
  const which = pool ? e._malloc(4 * n * Math.floor(h / 2) * Math.floor(w / 2) * c) : 0;
  try {
    const acc = new Float64Array(heap(backend), scratch, (1 + ni) * c);
    const params = new Float32Array(heap(backend), scratch + accBytes, 3 * ni * c);
    acc.fill(0);
    const p = (t: TensorInfo | undefined) => (t ? ptr(backend, t) : 0);
    const [dy, xhat, gamma, beta, xhat2, gamma2, beta2] = [
      inputs.dy,
      inputs.xhat,
      inputs.gamma,
      inputs.beta,
      inputs.xhat2,
      inputs.gamma2,
      inputs.beta2,
    ].map(p);
    const act = ACT_CODE[attrs.activation];
    const { slope } = attrs;
    // The pair kernels' common arguments: the gradient, both inputs' xhat and parameters, the winners.
    const pair = [dy, xhat, xhat2, n, h, w, c, gamma, beta, gamma2, beta2, act, slope, which] as const;
    if (two) mod.bn2_bwd_pool_sums(...pair, scratch);
    else if (pool) mod.bn_bwd_pool_sums(dy, xhat, n, h, w, c, gamma, beta, act, slope, which, scratch);
    else mod.bn_bwd_sums(dy, xhat, m, c, gamma, beta, act, slope, scratch);
    // The composite's per-channel float32 ops per input i: s = gamma * rstd, kx = s * (dgamma / m),
    // off = s * (dbeta / m); dbeta (sum dpre) is the same for every input.
    const perInput: [TensorInfo, TensorInfo][] = [[inputs.gamma, inputs.rstd]];
    if (two) perInput.push([inputs.gamma2!, inputs.rstd2!]);
    perInput.forEach(([gammaInfo, rstdInfo], i) => {
      const dGamma = new Float32Array(heap(backend), ptr(backend, outs[i].dGamma), c);
      const dBeta = new Float32Array(heap(backend), ptr(backend, outs[i].dBeta), c);
      const rstd = new Float32Array(heap(backend), ptr(backend, rstdInfo), c);
      const g = new Float32Array(heap(backend), ptr(backend, gammaInfo), c);
      const base = 3 * i * c;
      for (let k = 0; k < c; k++) {
        dBeta[k] = acc[k];
        dGamma[k] = acc[(1 + i) * c + k];
        const s = f32(g[k] * rstd[k]);
        params[base + k] = s;
        params[base + c + k] = s * f32(dGamma[k] / m);
        params[base + 2 * c + k] = s * f32(dBeta[k] / m);
      }
    });
    const prm = scratch + accBytes;
    const dx = ptr(backend, outs[0].dx);
    if (two) mod.bn2_bwd_pool_dx(...pair, prm, dx, ptr(backend, outs[1].dx));
    else if (pool) mod.bn_bwd_pool_dx(dy, xhat, n, h, w, c, gamma, beta, act, slope, which, prm, dx);
    else mod.bn_bwd_dx(dy, xhat, m, c, gamma, beta, act, slope, prm, prm + 4 * c, prm + 8 * c, dx);
  } finally {
    e._free(scratch);
    if (which) e._free(which);
  }
  return outs.flatMap((o) => [o.dx, o.dGamma, o.dBeta]);
}

function output(args: {
  inputs: { xhat: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  backend: BackendWasm;
  attrs: BatchNormActOutputAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const [m, c] = inputs.xhat.shape;
  const mod = moduleFor(backend, c, BATCH_NORM_ACT_OUTPUT);
  if (util.sizeFromShape(attrs.shape) !== m * c)
    throw new Error(`${BATCH_NORM_ACT_OUTPUT}: shape [${attrs.shape}] does not hold xhat [${m}, ${c}]`);
  const out = backend.makeOutput(attrs.shape, 'float32');
  mod.bn_affine_act(
    ptr(backend, inputs.xhat),
    m,
    c,
    ptr(backend, inputs.gamma),
    ptr(backend, inputs.beta),
    ACT_CODE[attrs.activation],
    attrs.slope,
    ptr(backend, out),
  );
  return out;
}

export const batchNormActOutputConfig: KernelConfig = {
  kernelName: BATCH_NORM_ACT_OUTPUT,
  backendName: 'wasm',
  kernelFunc: output as unknown as KernelFunc,
};

export const batchNormActForwardConfig: KernelConfig = {
  kernelName: BATCH_NORM_ACT_FORWARD,
  backendName: 'wasm',
  kernelFunc: forward as unknown as KernelFunc,
};

export const batchNormActBackwardConfig: KernelConfig = {
  kernelName: BATCH_NORM_ACT_BACKWARD,
  backendName: 'wasm',
  kernelFunc: backward as unknown as KernelFunc,
};
