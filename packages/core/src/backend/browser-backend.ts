/**
 * Choosing and starting a TensorFlow.js backend in a browser (`@rcn/core/browser`): WebGPU where the
 * browser offers a real GPU adapter, else wasm with SIMD (XNNPACK) plus our own SIMD kernels
 * (kernels/). The Node counterpart is select.ts, which knows native and Dawn backends this file must not
 * import.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  prepareSimdKernels,
  registerWasmTrainingKernels,
  simdVariant,
  type SimdVariant,
} from './kernels/index.js';
import { guardWasmMalloc, hookXnnFailures } from './wasm-guard.js';
import { formatAdapter, startWebGpu, type GpuLike, type WebGpuAdapterInfo } from './webgpu-adapter.js';

export type BrowserBackendName = 'webgpu' | 'wasm';

export interface BrowserBackendOptions {
  /** `auto` (default): WebGPU on a real GPU adapter, else wasm. A named backend that cannot start throws. */
  backend?: 'auto' | BrowserBackendName;
  /**
   * Folder URL (ending in `/`) serving tfjs-backend-wasm's `tfjs-backend-wasm-simd.wasm` (and
   * `tfjs-backend-wasm.wasm`, for a browser without SIMD).
   */
  wasmPaths: string;
  /** Our SIMD kernels on wasm (default true; false only to measure what they bring). */
  ourKernels?: boolean;
}

export interface BrowserBackendInfo {
  name: BrowserBackendName;
  /** What runs, in one line for the page. */
  description: string;
  /** wasm: whether the engine runs the SIMD build. */
  simd: boolean;
  /** wasm: which build of our kernel module runs, or null where it does not. */
  kernels: SimdVariant | null;
  /** webgpu: the adapter. */
  adapter?: WebGpuAdapterInfo;
  /** What `auto` tried first and why it did not run. */
  skipped: { name: BrowserBackendName; reason: string }[];
}

async function startWebGpuHere(explicit: boolean): Promise<WebGpuAdapterInfo> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing)');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter)
    throw new Error('the browser offers no WebGPU adapter (no usable GPU, or WebGPU is disabled)');
  return startWebGpu(adapter, explicit);
}

let wasmStarted = false;

async function startWasm(
  opts: BrowserBackendOptions,
): Promise<{ simd: boolean; kernels: SimdVariant | null }> {
  if (!wasmStarted) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(opts.wasmPaths);
    // One thread, as under Node: threads need a cross-origin-isolated page (COOP/COEP headers a static
    // host rarely sends), and our kernel module cannot use the shared memory a threaded build has.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (opts.ourKernels !== false) registerWasmTrainingKernels();
    hookXnnFailures();
    wasmStarted = true;
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
  const backend = tf.backend() as BackendWasm;
  guardWasmMalloc(backend);
  if (opts.ourKernels !== false) await prepareSimdKernels(backend, { relaxed: true });
  return {
    simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
    kernels: simdVariant(backend),
  };
}

function wasmDescription(simd: boolean, kernels: SimdVariant | null): string {
  const ours =
    kernels === 'relaxed'
      ? ' + our kernels (relaxed SIMD)'
      : kernels === 'baseline'
        ? ' + our kernels (SIMD)'
        : '';
  return `wasm: CPU via WebAssembly ${simd ? 'SIMD' : '(no SIMD)'} + XNNPACK${ours}, one thread`;
}

/** Selects and starts a backend in this browser (see the module comment). */
export async function initBrowserBackend(opts: BrowserBackendOptions): Promise<BrowserBackendInfo> {
  const want = opts.backend ?? 'auto';
  const skipped: BrowserBackendInfo['skipped'] = [];
  if (want !== 'wasm') {
    try {
      const adapter = await startWebGpuHere(want === 'webgpu');
      await tf.ready();
      return {
        name: 'webgpu',
        description: `webgpu: ${formatAdapter(adapter)[0].replace(/^WebGPU adapter: /, '')}`,
        simd: false,
        kernels: null,
        adapter,
        skipped,
      };
    } catch (e) {
      if (want === 'webgpu') throw e;
      skipped.push({ name: 'webgpu', reason: e instanceof Error ? e.message : String(e) });
    }
  }
  const { simd, kernels } = await startWasm(opts);
  await tf.ready();
  return { name: 'wasm', description: wasmDescription(simd, kernels), simd, kernels, skipped };
}
