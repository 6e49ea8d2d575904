/**
 * Our own wasm SIMD module (packages/core/wasm/*.c, built by wasm/build.sh into simd-module.ts): kernels
 * that TF.js's wasm binary lacks or runs slowly. It imports the wasm backend's memory and works on tensors
 * in place, through their heap offsets; it has no stack and no data of its own, so it writes only into
 * buffers the caller allocated through TF.js.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { SIMD_MODULE_BASE64, SIMD_RELAXED_MODULE_BASE64 } from './simd-module.js';

/** A byte offset into the wasm heap. */
export type Ptr = number;

/**
 * The geometry every conv kernel of the module takes right after its two input pointers: the input
 * [n, h, width, ci] and the output's (or the output gradient's) [ho, wo, co].
 */
export type ConvDims = [n: number, h: number, width: number, ci: number, ho: number, wo: number, co: number];

/** ConvDims of an NHWC input x and an NHWC output (or output gradient) y. */
export function convDims(x: TensorInfo, y: TensorInfo): ConvDims {
  const [n, h, width, ci] = x.shape;
  const [, ho, wo, co] = y.shape;
  return [n, h, width, ci, ho, wo, co];
}

/** Output tile side of the Winograd kernels: F(2x2, 3x3) or F(4x4, 3x3). */
export type WinogradTile = 2 | 4;

export interface SimdExports {
  /** acc += column sums of x [m, c]: exact row pairs (blocked 0, Reduce.ts) or 8-row blocks (1, see C). */
  bn_sum(x: Ptr, m: number, c: number, blocked: 0 | 1, acc: Ptr): void;
  bn_sqdev(x: Ptr, m: number, c: number, mean: Ptr, acc: Ptr): void;
  // Arguments as in batchnorm_act.c: pointers and sizes, all numbers.
  bn_norm_act(...args: number[]): void;
  bn_norm_act_pool(...args: number[]): void;
  bn_affine_act(
    xhat: Ptr,
    m: number,
    c: number,
    gamma: Ptr,
    beta: Ptr,
    act: number,
    slope: number,
    out: Ptr,
  ): void;
  bn_bwd_sums(...args: number[]): void;
  bn_bwd_dx(...args: number[]): void;
  bn_bwd_pool_sums(...args: number[]): void;
  bn_bwd_pool_dx(...args: number[]): void;
  // The same for two inputs summed before the activation (ResNet-12's residual tail).
  bn2_norm_act_pool(...args: number[]): void;
  bn2_bwd_pool_sums(...args: number[]): void;
  bn2_bwd_pool_dx(...args: number[]): void;
  /** dst [rows, c4] = src [rows, c], each row followed by c4 - c zeros (wasm/conv2d.c). */
  pad_rows(src: Ptr, rows: number, c: number, c4: number, dst: Ptr): void;
  /**
   * b [k, n] (trans 0) or b [n, k] transposed (trans 1) as ceil(n/8) strips of [k][8] floats, columns past
   * n zero (wasm/gemm.c).
   */
  pack_strips(b: Ptr, k: number, n: number, trans: 0 | 1, out: Ptr): void;
  /** c [m, n8] = a [m, k] . b, b packed by pack_strips into n8 (a multiple of 8) columns. */
  sgemm(a: Ptr, strips: Ptr, m: number, k: number, n8: number, c: Ptr): void;
  /** The first n of each row's n8 columns, rows compacted into dst [m, n]. */
  drop_columns(src: Ptr, m: number, n8: number, n: number, dst: Ptr): void;
  /** Weight gradient of a stride-1 conv (wasm/conv_filter_grad.c); dw, zeroed by the caller, accumulates. */
  conv_filter_grad(
    x: Ptr,
    dy: Ptr,
    ...rest: [...ConvDims, kh: number, kw: number, padTop: number, padLeft: number, dw: Ptr]
  ): void;
  /**
   * Stride-1 conv2d, y = x * w (wasm/conv2d.c); `zeros`: ci zero floats that taps in the padding read.
   */
  conv2d_s1(
    x: Ptr,
    w: Ptr,
    ...rest: [...ConvDims, kh: number, kw: number, padTop: number, padLeft: number, zeros: Ptr, y: Ptr]
  ): void;
  /**
   * Floats of one Winograd scratch plane that holds `floats` (planes are skewed apart; (tile + 2)^2 make
   * a buffer).
   */
  wino_plane(floats: number): number;
  /**
   * Winograd F(tile x tile, 3x3) transform of a [3,3,ci,co] filter (flip 0), or of a [3,3,co,ci] one
   * flipped and transposed (flip 1, the input gradient's), into u: (tile+2)^2 planes of co/8 [ci][8] strips.
   */
  wino_filter(tile: WinogradTile, flip: 0 | 1, g: Ptr, ci: number, co: number, u: Ptr): void;
  /**
   * Stride-1 3x3 conv2d by Winograd F(tile x tile, 3x3) (wasm/winograd.c); zeros: ci zero floats (what
   * taps in the padding read); v, m: scratch of (tile + 2)^2 planes of tb*ci and tb*co floats.
   */
  wino_conv3x3(
    tile: WinogradTile,
    x: Ptr,
    u: Ptr,
    ...rest: [...ConvDims, padTop: number, padLeft: number, tb: number, zeros: Ptr, v: Ptr, m: Ptr, y: Ptr]
  ): void;
  /**
   * Weight gradient of that conv by the same transform; v, d, s: scratch of (tile + 2)^2 planes of tb*ci,
   * tb*co and ci*co floats (see wino_plane); dw [3,3,ci,co] is overwritten.
   */
  wino_filter_grad3x3(
    tile: WinogradTile,
    x: Ptr,
    dy: Ptr,
    ...rest: [
      ...ConvDims,
      padTop: number,
      padLeft: number,
      tb: number,
      zeros: Ptr,
      v: Ptr,
      d: Ptr,
      s: Ptr,
      dw: Ptr,
    ]
  ): void;
}

/**
 * Which build of the module runs: `relaxed` (relaxed SIMD: fused multiply-add in the conv kernels, where
 * the engine validates it) or `baseline` (SIMD multiply then add).
 */
export type SimdVariant = 'relaxed' | 'baseline';

/** The WebAssembly API (the package's TypeScript libs declare neither DOM nor its global). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: object } }>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** What we need of the wasm backend's Emscripten module (not in its public types). */
export interface EmscriptenParts {
  asm: { memory: WasmMemory };
  _malloc(bytes: number): Ptr;
  _free(ptr: Ptr): void;
}

export function emscripten(backend: BackendWasm): EmscriptenParts {
  return backend.wasm as unknown as EmscriptenParts;
}

let instance: { memory: WasmMemory; exports: SimdExports; variant: SimdVariant } | null = null;

const moduleBytes: Partial<Record<SimdVariant, Uint8Array>> = {};

/** A build's bytes, decoded once (start-up validates the relaxed build, then instantiates one build). */
function bytesOf(variant: SimdVariant): Uint8Array {
  const b64 = variant === 'relaxed' ? SIMD_RELAXED_MODULE_BASE64 : SIMD_MODULE_BASE64;
  return (moduleBytes[variant] ??= Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)));
}

/** The relaxed build validates in this engine (Node 20 needs V8's flag, see backend/select.ts). */
export function relaxedSimdValidates(): boolean {
  return wasmApi.validate(bytesOf('relaxed'));
}

/**
 * Instantiates the module on the backend's memory (once; asynchronously, as browsers require for modules
 * over 4 KiB on the main thread): the relaxed build where it validates and `relaxed` is not false, else
 * (or where it fails to load) the baseline one. False where neither loads: the kernels then stay on their
 * other paths.
 */
export async function prepareSimdKernels(
  backend: BackendWasm,
  opts: { relaxed?: boolean } = {},
): Promise<boolean> {
  const memory = emscripten(backend).asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) return false;
  const wanted: SimdVariant = opts.relaxed !== false && relaxedSimdValidates() ? 'relaxed' : 'baseline';
  if (instance?.memory === memory && instance.variant === wanted) return true;
  instance = null;
  // A relaxed build that validates but fails to instantiate still leaves the baseline one.
  for (const variant of wanted === 'relaxed' ? (['relaxed', 'baseline'] as const) : (['baseline'] as const)) {
    try {
      const { instance: inst } = await wasmApi.instantiate(bytesOf(variant), { env: { memory } });
      instance = { memory, exports: inst.exports as SimdExports, variant };
      return true;
    } catch {
      // try the next build
    }
  }
  return false;
}

/** The build that runs on this backend, or null where the module is not loaded. */
export function simdVariant(backend: unknown): SimdVariant | null {
  return instance && simdReady(backend) ? instance.variant : null;
}

/** The module is instantiated on this backend's memory. */
export function simdReady(backend: unknown): boolean {
  return instance !== null && instance.memory === emscripten(backend as BackendWasm).asm?.memory;
}

export function simdExports(backend: BackendWasm, kernel: string): SimdExports {
  if (!instance || !simdReady(backend))
    throw new Error(`${kernel}: the SIMD module is not prepared for this backend`);
  return instance.exports;
}

/** A tensor's byte offset in the heap. */
export function ptr(backend: BackendWasm, t: TensorInfo): Ptr {
  return (backend.dataIdMap.get(t.dataId) as unknown as { memoryOffset: number }).memoryOffset;
}

/** The heap's current buffer (take views after the last allocation: growing the heap detaches them). */
export function heap(backend: BackendWasm): ArrayBuffer {
  return emscripten(backend).asm.memory.buffer;
}
