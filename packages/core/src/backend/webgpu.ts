/**
 * The WebGPU backend under Node: Dawn's Node bindings (npm `webgpu`, a prebuilt `dawn.node`) provide
 * `navigator.gpu`, and `@tensorflow/tfjs-backend-webgpu` runs on it. Dawn drives the machine's Vulkan driver:
 * on NVIDIA the driver's Vulkan ICD, on a machine without a GPU Mesa's lavapipe (a CPU emulation, >= Mesa 25;
 * bookworm's 22.3 yields no adapter). Both packages are optional dependencies.
 */
import { startWebGpu, type AdapterLike, type GpuLike, type WebGpuAdapterInfo } from './webgpu-adapter.js';

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

/**
 * Initialises tfjs-backend-webgpu on Dawn's adapter and guards it. `allowCpu` false refuses a CPU fallback
 * adapter (what `auto` wants: lavapipe would be far slower than wasm).
 */
export async function loadWebGpu(allowCpu: boolean): Promise<WebGpuAdapterInfo> {
  return startWebGpu(await requestWebGpuAdapter(), allowCpu);
}
