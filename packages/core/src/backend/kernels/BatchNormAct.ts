/**
 * Batch-statistics BatchNorm + activation (+ the 2x2 max-pool after it), forward and backward, each in a
 * few SIMD passes over memory. The same layer written with tf ops (model/batchnorm.ts) runs ~15 elementwise
 * kernels and reductions, each a full pass over an activation-sized tensor, and at 84 px Conv4's first layer
 * holds 34 M floats per pass: those passes were a quarter of a training step. Plain JS loops over heap views
 * were tried first and lost to the stock kernels (scalar JS is several times slower per pass than wasm
 * SIMD), so the passes are in our own wasm module (packages/core/wasm/batchnorm_act.c; see simd.ts), which
 * works on the tensors in place in TF.js's heap.
 *
 * Custom kernels (no stock counterpart), registered on wasm only; model/batchnorm.ts calls them when the
 * backend has them and otherwise runs its composite, which is what test/backend/kernels.test.ts checks
 * them against on the cpu backend. Every float32 rounding of the composite is reproduced (Math.fround
 * after each op, float64 accumulators like our Reduce kernel), so the two agree to the last bits except for
 * summation order.
 *
 * Forward: inputs x [M, C] (any shape with C last), gamma, beta [C]; outputs xhat [M, C], the activation
 * (x's shape, or pooled [B, H/2, W/2, C] with `pool`), and per channel the batch mean, the biased variance
 * and rstd = 1 / sqrt(var + eps) (as [1, C], like the composite).
 * Backward: inputs dy (the output's gradient, pooled when `pool`), xhat, gamma, beta, rstd; attrs `shape`
 * (the pre-pool [B, H, W, C]); outputs dx (`shape`), dgamma, dbeta [C]. The activation, and with `pool`
 * the window maxima (first maximum wins, as MaxPoolGrad routes), are recomputed from xhat, so the forward
 * pass keeps only xhat.
 */
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { emscripten, heap, ptr, simdExports, simdReady, type SimdExports } from './simd.js';

export const BATCH_NORM_ACT_FORWARD = 'RcnBatchNormActForward';
export const BATCH_NORM_ACT_BACKWARD = 'RcnBatchNormActBackward';

export type FusedActivation = 'none' | 'relu' | 'leaky';

export interface BatchNormActForwardAttrs {
  eps: number;
  activation: FusedActivation;
  slope: number;
  /** Follow with a 2x2 stride-2 valid max-pool (x must be 4D). */
  pool: boolean;
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

function forward(args: {
  inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  backend: BackendWasm;
  attrs: BatchNormActForwardAttrs;
}): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const { pool } = attrs;
  const shape = x.shape;
  const c = shape[shape.length - 1];
  const mod = moduleFor(backend, c, BATCH_NORM_ACT_FORWARD);
  const m = util.sizeFromShape(shape) / c;
  if (pool && shape.length !== 4)
    throw new Error(`${BATCH_NORM_ACT_FORWARD}: pool needs NHWC, got [${shape}]`);
  const [n, h, w] = shape;
  const xhatInfo = backend.makeOutput([m, c], 'float32');
  const outInfo = backend.makeOutput(pool ? [n, Math.floor(h / 2), Math.floor(w / 2), c] : shape, 'float32');
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
    mod.bn_sum(ptr(backend, x), m, c, accPtr);
    // Rounded as the composite rounds: the float32 sum, then a float32 division.
    for (let k = 0; k < c; k++) mean[k] = f32(acc[k]) / m;
    acc.fill(0);
    mod.bn_sqdev(ptr(backend, x), m, c, ptr(backend, meanInfo), accPtr);
    for (let k = 0; k < c; k++) {
      variance[k] = f32(acc[k]) / m;
      rstd[k] = 1 / f32(Math.sqrt(f32(variance[k] + f32(attrs.eps))));
    }
  } finally {
    e._free(accPtr);
  }
  const common = [
    ptr(backend, meanInfo),
    ptr(backend, rstdInfo),
    ptr(backend, inputs.gamma),
    ptr(backend, inputs.beta),
    ACT_CODE[attrs.activation],
    attrs.slope,
    ptr(backend, xhatInfo),
    ptr(backend, outInfo),
  ] as const;
  if (pool) mod.bn_norm_act_pool(ptr(backend, x), n, h, w, c, ...common);
  else mod.bn_norm_act(ptr(backend, x), m, c, ...common);
  return [xhatInfo, outInfo, meanInfo, varInfo, rstdInfo];
}

function backward(args: {
  inputs: { dy: TensorInfo; xhat: TensorInfo; gamma: TensorInfo; beta: TensorInfo; rstd: TensorInfo };
  backend: BackendWasm;
  attrs: BatchNormActBackwardAttrs;
}): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { pool, shape } = attrs;
  const c = shape[shape.length - 1];
  const mod = moduleFor(backend, c, BATCH_NORM_ACT_BACKWARD);
  const m = util.sizeFromShape(shape) / c;
  const [n, h, w] = shape;
  const dxInfo = backend.makeOutput(shape, 'float32');
  const dGammaInfo = backend.makeOutput([c], 'float32');
  const dBetaInfo = backend.makeOutput([c], 'float32');
  const e = emscripten(backend);
  // acc: float64 [2c] (sum dpre, sum dpre * xhat); then float32 [3c] (scale, kx, off) after it.
  const scratch = e._malloc(16 * c + 12 * c);
  // Pool: which of its window's four positions won, per pooled element.
  const which = pool ? e._malloc(4 * n * Math.floor(h / 2) * Math.floor(w / 2) * c) : 0;
  try {
    const acc = new Float64Array(heap(backend), scratch, 2 * c);
    const params = new Float32Array(heap(backend), scratch + 16 * c, 3 * c);
    acc.fill(0);
    const [dy, xhat, gamma, beta] = [inputs.dy, inputs.xhat, inputs.gamma, inputs.beta].map((t) =>
      ptr(backend, t),
    );
    const act = ACT_CODE[attrs.activation];
    if (pool) mod.bn_bwd_pool_sums(dy, xhat, n, h, w, c, gamma, beta, act, attrs.slope, which, scratch);
    else mod.bn_bwd_sums(dy, xhat, m, c, gamma, beta, act, attrs.slope, scratch);
    const dGamma = new Float32Array(heap(backend), ptr(backend, dGammaInfo), c);
    const dBeta = new Float32Array(heap(backend), ptr(backend, dBetaInfo), c);
    const rstd = new Float32Array(heap(backend), ptr(backend, inputs.rstd), c);
    const g = new Float32Array(heap(backend), gamma, c);
    // The composite's per-channel float32 ops: s = gamma * rstd, kx = s * (dgamma / m), off = s * (dbeta / m).
    for (let k = 0; k < c; k++) {
      dBeta[k] = acc[k];
      dGamma[k] = acc[c + k];
      const s = f32(g[k] * rstd[k]);
      params[k] = s;
      params[c + k] = s * f32(dGamma[k] / m);
      params[2 * c + k] = s * f32(dBeta[k] / m);
    }
    const [scale, kx, off] = [0, 1, 2].map((i) => scratch + 16 * c + 4 * c * i);
    const dx = ptr(backend, dxInfo);
    if (pool)
      mod.bn_bwd_pool_dx(dy, xhat, n, h, w, c, gamma, beta, act, attrs.slope, which, scale, kx, off, dx);
    else mod.bn_bwd_dx(dy, xhat, m, c, gamma, beta, act, attrs.slope, scale, kx, off, dx);
  } finally {
    e._free(scratch);
    if (which) e._free(which);
  }
  return [dxInfo, dGammaInfo, dBetaInfo];
}

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
