/**
 * Our own wasm SIMD module (packages/core/wasm/*.c, built by wasm/build.sh into simd-module.ts): kernels
 * that TF.js's wasm binary lacks or runs slowly. It imports the wasm backend's memory and works on tensors
 * in place, through their heap offsets; it has no stack and no data of its own, so it writes only into
 * buffers the caller allocated through TF.js.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { SIMD_MODULE_BASE64 } from './simd-module.js';

/** A byte offset into the wasm heap. */
export type Ptr = number;

export interface SimdExports {
  bn_sum(x: Ptr, m: number, c: number, acc: Ptr): void;
  bn_sqdev(x: Ptr, m: number, c: number, mean: Ptr, acc: Ptr): void;
  // Arguments as in batchnorm_act.c: pointers and sizes, all numbers.
  bn_norm_act(...args: number[]): void;
  bn_norm_act_pool(...args: number[]): void;
  bn_bwd_sums(...args: number[]): void;
  bn_bwd_dx(...args: number[]): void;
  bn_bwd_pool_sums(...args: number[]): void;
  bn_bwd_pool_dx(...args: number[]): void;
  conv_filter_grad(
    x: Ptr,
    dy: Ptr,
    n: number,
    h: number,
    w: number,
    ci: number,
    ho: number,
    wo: number,
    co: number,
    kh: number,
    kw: number,
    padTop: number,
    padLeft: number,
    dw: Ptr,
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

/** What we need of the wasm backend's Emscripten module (not in its public types). */
export interface EmscriptenParts {
  asm: { memory: WasmMemory };
  _malloc(bytes: number): Ptr;
  _free(ptr: Ptr): void;
}

export function emscripten(backend: BackendWasm): EmscriptenParts {
  return backend.wasm as unknown as EmscriptenParts;
}

let instance: { memory: WasmMemory; exports: SimdExports } | null = null;

/**
 * Instantiates the module on the backend's memory (once; asynchronously, as browsers require for modules
 * over 4 KiB on the main thread). False where that fails: the kernels then stay on their other paths.
 */
export async function prepareSimdKernels(backend: BackendWasm): Promise<boolean> {
  const memory = emscripten(backend).asm?.memory;
  if (!(memory instanceof wasmApi.Memory)) return false;
  if (instance?.memory === memory) return true;
  try {
    const bytes = Uint8Array.from(atob(SIMD_MODULE_BASE64), (ch) => ch.charCodeAt(0));
    const { instance: inst } = await wasmApi.instantiate(bytes, { env: { memory } });
    instance = { memory, exports: inst.exports as SimdExports };
    return true;
  } catch {
    instance = null;
    return false;
  }
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
