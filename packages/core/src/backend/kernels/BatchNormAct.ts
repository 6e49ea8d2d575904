/**
 * Batch-statistics BatchNorm + activation (+ the 2x2 max-pool after it), forward and backward, each in a
 * few SIMD passes over memory. The same layer written with tf ops (model/batchnorm.ts) runs ~15 elementwise
 * kernels and reductions, each a full pass over an activation-sized tensor, and at 84 px Conv4's first layer
 * holds 34 M floats per pass: those passes were a quarter of a training step. Plain JS loops over heap views
 * were tried first and lost to the stock kernels (scalar JS is several times slower per pass than wasm
 * SIMD), so the passes are a small wasm module of our own (packages/core/wasm/batchnorm_act.c, embedded in
 * batchnorm-act-wasm.ts) that imports TF.js's wasm memory and works on the tensors in place.
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
import { BATCH_NORM_ACT_WASM_BASE64 } from './batchnorm-act-wasm.js';

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

type Ptr = number;
interface BnModule {
  bn_sum(x: Ptr, m: number, c: number, acc: Ptr): void;
  bn_sqdev(x: Ptr, m: number, c: number, mean: Ptr, acc: Ptr): void;
  bn_norm_act(
    x: Ptr,
    m: number,
    c: number,
    mean: Ptr,
    rstd: Ptr,
    gamma: Ptr,
    beta: Ptr,
    act: number,
    slope: number,
    xhat: Ptr,
    out: Ptr,
  ): void;
  bn_norm_act_pool(
    x: Ptr,
    n: number,
    h: number,
    w: number,
    c: number,
    mean: Ptr,
    rstd: Ptr,
    gamma: Ptr,
    beta: Ptr,
    act: number,
    slope: number,
    xhat: Ptr,
    out: Ptr,
  ): void;
  bn_bwd_sums(
    dy: Ptr,
    xhat: Ptr,
    m: number,
    c: number,
    gamma: Ptr,
    beta: Ptr,
    act: number,
    slope: number,
    acc: Ptr,
  ): void;
  bn_bwd_dx(
    dy: Ptr,
    xhat: Ptr,
    m: number,
    c: number,
    gamma: Ptr,
    beta: Ptr,
    act: number,
    slope: number,
    scale: Ptr,
    kx: Ptr,
    off: Ptr,
    dx: Ptr,
  ): void;
  bn_bwd_pool_sums(
    dyp: Ptr,
    xhat: Ptr,
    n: number,
    h: number,
    w: number,
    c: number,
    gamma: Ptr,
    beta: Ptr,
    act: number,
    slope: number,
    which: Ptr,
    acc: Ptr,
  ): void;
  bn_bwd_pool_dx(
    dyp: Ptr,
    xhat: Ptr,
    n: number,
    h: number,
    w: number,
    c: number,
    gamma: Ptr,
    beta: Ptr,
    act: number,
    slope: number,
    which: Ptr,
    scale: Ptr,
    kx: Ptr,
    off: Ptr,
    dx: Ptr,
  ): void;
}

/** The WebAssembly API (the package's TypeScript libs declare neither DOM nor its global). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: object } }>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** What this module needs of the wasm backend's Emscripten module (not in its public types). */
interface EmscriptenParts {
  asm: { memory: WasmMemory };
  _malloc(bytes: number): Ptr;
  _free(ptr: Ptr): void;
}

let instance: { memory: WasmMemory; exports: BnModule } | null = null;

function emscripten(backend: BackendWasm): EmscriptenParts {
  return backend.wasm as unknown as EmscriptenParts;
}

/**
 * Instantiates the module on the backend's memory (once; asynchronously, as browsers require for modules
 * over 4 KiB on the main thread). False, and the fused kernels stay unused, where that fails.
 */
export async function prepareBatchNormAct(backend: BackendWasm): Promise<boolean> {
  const memory = emscripten(backend).asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) return false;
  if (instance?.memory === memory) return true;
  try {
    const bytes = Uint8Array.from(atob(BATCH_NORM_ACT_WASM_BASE64), (ch) => ch.charCodeAt(0));
    const { instance: inst } = await wasmApi.instantiate(bytes, { env: { memory } });
    instance = { memory, exports: inst.exports as unknown as BnModule };
    return true;
  } catch {
    instance = null;
    return false;
  }
}

/** The fused kernels can run on this backend for `channels` channels (SIMD works on 4 at a time). */
export function batchNormActReady(backend: unknown, channels: number): boolean {
  return (
    channels % 4 === 0 &&
    instance !== null &&
    instance.memory === emscripten(backend as BackendWasm).asm?.memory
  );
}

function moduleFor(backend: BackendWasm, c: number, kernel: string): BnModule {
  if (!batchNormActReady(backend, c))
    throw new Error(`${kernel}: not prepared for this backend, or ${c} channels (need a multiple of 4)`);
  return instance!.exports;
}

const ACT_CODE: Record<FusedActivation, number> = { none: 0, relu: 1, leaky: 2 };

function ptr(backend: BackendWasm, t: TensorInfo): Ptr {
  return (backend.dataIdMap.get(t.dataId) as unknown as { memoryOffset: number }).memoryOffset;
}

function heap(backend: BackendWasm): ArrayBuffer {
  return emscripten(backend).asm.memory.buffer;
}

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
