/**
 * The WebGPU backend under Node: Dawn's Node bindings (npm `webgpu`, a prebuilt `dawn.node`) provide
 * `navigator.gpu`, and `@tensorflow/tfjs-backend-webgpu` runs on it. Dawn drives the machine's Vulkan driver:
 * on NVIDIA the driver's Vulkan ICD, on a machine without a GPU Mesa's lavapipe (a CPU emulation, >= Mesa 25;
 * bookworm's 22.3 yields no adapter). Both packages are optional dependencies.
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

interface AdapterLike {
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
interface GpuLike {
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

let gpu: GpuLike | null = null;

/** Installs Dawn's `navigator.gpu` (once) and returns the high-performance adapter, or throws why not. */
export async function requestWebGpuAdapter(): Promise<AdapterLike> {
  if (!gpu) {
    let mod: { create: (flags: string[]) => GpuLike; globals: Record<string, unknown> };
    try {
      mod = (await import('webgpu')) as unknown as typeof mod;
    } catch (e) {
      throw new Error(
        `importing webgpu (Dawn for Node) failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    // tfjs-backend-webgpu uses the WebGPU globals (GPUBufferUsage, ...) and `navigator.gpu` directly.
    Object.assign(globalThis, mod.globals);
    gpu = mod.create([]);
    const nav = (globalThis as { navigator?: object }).navigator;
    if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
    else
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new Error(
      'Dawn found no WebGPU adapter: no Vulkan driver, or one too old (lavapipe needs Mesa >= 25; ' +
        'check `vulkaninfo --summary`)',
    );
  }
  return adapter;
}

let registered = false;

/**
 * Initialises tfjs-backend-webgpu on the adapter and guards it. `allowCpu` false refuses a CPU fallback
 * adapter (what `auto` wants: lavapipe would be far slower than wasm).
 */
export async function loadWebGpu(allowCpu: boolean): Promise<WebGpuAdapterInfo> {
  const adapter = describeAdapter(await requestWebGpuAdapter());
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
 * (model/chunking.ts) size their chunks from it.
 */
export function webGpuBufferLimit(): number | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const device = (tf.backend() as unknown as { device?: { limits: WebGpuAdapterInfo['limits'] } }).device;
  if (!device) return null;
  return Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
}
