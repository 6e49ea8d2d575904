/**
 * The process-wide switches of the compute path, in one documented object: which of our wasm kernels run
 * and how, and whether BatchNorm + activation runs as one fused kernel. Every switch defaults to the fast
 * path; A/B measurements (`pnpm bench`) and the tests of every route turn parts off. The kernels and the
 * BatchNorm layer read it at each call, so a change applies from the next op. Each thread has its own (a
 * worker's TensorFlow.js is its own too): set it where the work runs.
 */
import type { WinogradTile } from './kernels/simd.js';

export interface ComputeOptions {
  /** Forward convolution and its input gradient (kernels/Conv2D.ts, Conv2DBackpropInput.ts). */
  conv: {
    /** Our SIMD kernels at all; off, TF.js's own (XNNPACK) run. */
    simd: boolean;
    /** Winograd for 3x3 filters (input channels padded to a multiple of 4); off, the direct kernel. */
    winograd: boolean;
    /** Winograd's output tile, F(2x2, 3x3) or F(4x4, 3x3); `auto`: the fewer multiplies for the map. */
    winogradTile: WinogradTile | 'auto';
  };
  /** The filter gradient (kernels/Conv2DBackpropFilter.ts). */
  convFilter: {
    /** Our SIMD kernel where it applies; off, the banded stock route. */
    simd: boolean;
    /** Floats of packed filter per band (32 MiB): only filters over twice this size are cut. */
    bandFloats: number;
    /** Below this many input channels a band's convolution is too small to pay for its call. */
    minBandChannels: number;
  };
  /** Batched matrix products (kernels/BatchMatMul.ts): our SIMD kernel where it applies. */
  matMul: { simd: boolean };
  /**
   * BatchNorm + activation (+ 2x2 max-pool) as one fused kernel where the backend registers it (wasm;
   * model/backward/batchnorm.ts); off, the composite of tf ops on every backend.
   */
  batchNorm: { fused: boolean };
}

function defaults(): ComputeOptions {
  return {
    conv: { simd: true, winograd: true, winogradTile: 'auto' },
    convFilter: { simd: true, bandFloats: 8_000_000, minBandChannels: 16 },
    matMul: { simd: true },
    batchNorm: { fused: true },
  };
}

let current = defaults();

/** The switches in force on this thread. */
export function computeOptions(): Readonly<ComputeOptions> {
  return current;
}

export type ComputeOptionsPatch = { [K in keyof ComputeOptions]?: Partial<ComputeOptions[K]> };

/** Changes some switches; returns the options as they were, for `setComputeOptions(previous)`. */
export function setComputeOptions(patch: ComputeOptionsPatch): ComputeOptions {
  const previous = current;
  current = {
    conv: { ...current.conv, ...patch.conv },
    convFilter: { ...current.convFilter, ...patch.convFilter },
    matMul: { ...current.matMul, ...patch.matMul },
    batchNorm: { ...current.batchNorm, ...patch.batchNorm },
  };
  return previous;
}

/** Every switch back to its default (the fast path). */
export function resetComputeOptions(): void {
  current = defaults();
}
