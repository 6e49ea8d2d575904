/**
 * WebGPU on any host: the adapter as we report it, and tfjs-backend-webgpu started on it and guarded
 * (webgpu-guard.ts). Where `navigator.gpu` comes from is the caller's business: Dawn's Node bindings
 * (webgpu.ts) or the browser (browser-backend.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { guardWebGpuBackend } from './webgpu-guard.js';

/** What `pnpm cli backend` and the API report about the adapter. */
export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (lavapipe, SwiftShader, WARP): correct but slow; `auto` never picks it. */
  cpuFallback: boolean;
  /** The limits that bound what one kernel can touch, in bytes (or invocations). */
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
  };
}

export interface AdapterLike {
  info?: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    isFallbackAdapter?: boolean;
  };
  isFallbackAdapter?: boolean;
  limits: WebGpuAdapterInfo['limits'];
}
export interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

/** Adapters that are CPU emulations, recognised by Dawn's flag or by name where a driver does not set it. */
const CPU_ADAPTER = /llvmpipe|lavapipe|swiftshader|software|warp|microsoft basic render/i;

export function describeAdapter(adapter: AdapterLike): WebGpuAdapterInfo {
  const i = adapter.info ?? { vendor: '', architecture: '', device: '', description: '' };
  const named = `${i.vendor} ${i.architecture} ${i.device} ${i.description}`;
  const l = adapter.limits;
  return {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    cpuFallback: Boolean(i.isFallbackAdapter ?? adapter.isFallbackAdapter) || CPU_ADAPTER.test(named),
    limits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  };
}

export function formatAdapter(a: WebGpuAdapterInfo): string[] {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  return [
    `WebGPU adapter: ${a.description || a.device || 'unnamed'} (vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'})` +
      (a.cpuFallback ? ' - a CPU fallback, not a GPU' : ''),
    `limits: maxStorageBufferBindingSize ${mib(a.limits.maxStorageBufferBindingSize)}, maxBufferSize ` +
      `${mib(a.limits.maxBufferSize)}, workgroup storage ${a.limits.maxComputeWorkgroupStorageSize} B, ` +
      `${a.limits.maxComputeInvocationsPerWorkgroup} invocations per workgroup`,
  ];
}

let registered = false;

/**
 * Starts tfjs-backend-webgpu on `navigator.gpu` (which must offer `adapter`) and guards it. `allowCpu`
 * false refuses a CPU fallback adapter (what `auto` wants: a software adapter is far slower than wasm).
 */
export async function startWebGpu(found: AdapterLike, allowCpu: boolean): Promise<WebGpuAdapterInfo> {
  const adapter = describeAdapter(found);
  if (adapter.cpuFallback && !allowCpu) {
    throw new Error(
      `the only WebGPU adapter is a CPU fallback (${adapter.description}); name the backend to use it (--backend webgpu)`,
    );
  }
  if (!registered) {
    // Importing registers the 'webgpu' backend factory with tfjs-core; it checks navigator.gpu at import.
    await import('@tensorflow/tfjs-backend-webgpu');
    registered = true;
  }
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs-backend-webgpu did not initialise');
  guardWebGpuBackend(tf.backend());
  const device = (tf.backend() as unknown as { device: { limits: WebGpuAdapterInfo['limits'] } }).device;
  // The device's limits are what the kernels get (tfjs requests the adapter's maxima for the ones it uses).
  adapter.limits.maxStorageBufferBindingSize = device.limits.maxStorageBufferBindingSize;
  adapter.limits.maxBufferSize = device.limits.maxBufferSize;
  return adapter;
}

/** Bytes tfjs-backend-webgpu holds in GPU buffers (in use plus its reuse pool); null on other backends. */
export function webGpuBytesAllocated(): number | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return (tf.memory() as { numBytesAllocatedInGPU?: number }).numBytesAllocatedInGPU ?? null;
}

/**
 * The largest buffer a kernel may bind on the current webgpu device (the smaller of
 * maxStorageBufferBindingSize and maxBufferSize), in bytes; null on other backends. Chunked backbone passes
 * (model/backbones/chunking.ts) size their chunks from it.
 */
export function webGpuBufferLimit(): number | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const device = (tf.backend() as unknown as { device?: { limits: WebGpuAdapterInfo['limits'] } }).device;
  if (!device) return null;
  return Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
}
