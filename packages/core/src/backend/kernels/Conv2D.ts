/**
 * Forward conv2d on wasm by our SIMD module (simd.ts) where it applies, else the stock XNNPACK kernel:
 * - stride-1 3x3 filters over a multiple of 4 input channels and 8 output channels (Conv4 and ResNet-12
 *   after the first layer): Winograd F(2x2, 3x3) (wasm/winograd.c), 16 multiply-adds per 2x2 outputs
 *   instead of 36;
 * - other stride-1, dilation-1 NHWC convs with a multiple of 8 output channels and at least 8 input
 *   channels (ResNet-12's 1x1 shortcuts): a direct kernel (wasm/conv2d.c) that reads NHWC in place.
 * The input gradient (Conv2DBackpropInput.ts) and the weight gradient (Conv2DBackpropFilter.ts) use the
 * same kernels.
 *
 * Why not XNNPACK: TF.js's binary is built for baseline SIMD, so each multiply-add is two instructions,
 * while the module's relaxed build issues one fused multiply-add; and XNNPACK has no Winograd path.
 * Measured on the README's 2-core Xeon, one core, Conv4's second layer at 84 px (80 images): XNNPACK
 * ~410 ms, the direct kernel ~320 ms, Winograd ~130-160 ms. `pnpm bench profile` splits a whole step.
 */
import { backend_util, Conv2D, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { captureStock } from './ops.js';
import { convDims, heap, ptr, simdExports, simdReady, type SimdExports } from './simd.js';

/**
 * Use the SIMD kernels where they apply (switchable for A/B measurements and for tests of every route):
 * `enabled` our kernels at all, `winograd` the Winograd one for 3x3 filters over a multiple of 4 input
 * channels (else the direct one).
 */
export const convSimd = { enabled: true, winograd: true };

/** Tiles per Winograd block: a block's transformed inputs and products (16 * tb * (ci + co) floats). */
const WINOGRAD_TILES = 64;

/** Winograd F(2x2, 3x3) applies: a 3x3 filter over a multiple of 4 input channels (stride 1, the caller's). */
export function winogradApplies(filterShape: number[]): boolean {
  const [kh, kw, ci, co] = filterShape;
  return convSimd.enabled && convSimd.winograd && kh === 3 && kw === 3 && ci % 4 === 0 && co % 8 === 0;
}

/**
 * dW [3,3,ci,co] of the stride-1 conv of x [n,h,w,ci] giving dy [n,ho,wo,co] with padding (padTop,
 * padLeft), by Winograd F(2x2, 3x3) (wasm/winograd.c). The caller checks `winogradApplies` and simdReady.
 */
export function winogradFilterGrad(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  padTop: number,
  padLeft: number,
): TensorInfo {
  const ci = x.shape[3];
  const co = dy.shape[3];
  const mod = simdExports(backend, 'Conv2DBackpropFilter');
  const out = backend.makeOutput([3, 3, ci, co], 'float32');
  const { v, m: d, zeros } = blockScratch(backend, mod, ci, co);
  const s = scratch(backend, 16 * mod.wino_plane(ci * co));
  mod.wino_filter_grad3x3(
    ptr(backend, x),
    ptr(backend, dy),
    ...convDims(x, dy),
    padTop,
    padLeft,
    WINOGRAD_TILES,
    ptr(backend, zeros),
    ptr(backend, v),
    ptr(backend, d),
    ptr(backend, s),
    ptr(backend, out),
  );
  for (const t of [v, d, s, zeros]) backend.disposeData(t.dataId);
  return out;
}

function scratch(backend: BackendWasm, floats: number): TensorInfo {
  return backend.makeOutput([floats], 'float32');
}

/** `floats` zeros: what taps in the padding read (a fresh allocation need not be zero: TF.js reuses memory). */
function zeroRow(backend: BackendWasm, floats: number): TensorInfo {
  const z = scratch(backend, floats);
  new Float32Array(heap(backend), ptr(backend, z), floats).fill(0);
  return z;
}

/**
 * Scratch of one Winograd block: transformed inputs (v), products or transformed output gradients (m), and
 * the zero row that taps in the padding read.
 */
function blockScratch(
  backend: BackendWasm,
  mod: SimdExports,
  ci: number,
  co: number,
): { v: TensorInfo; m: TensorInfo; zeros: TensorInfo } {
  return {
    v: scratch(backend, 16 * mod.wino_plane(WINOGRAD_TILES * ci)),
    m: scratch(backend, 16 * mod.wino_plane(WINOGRAD_TILES * co)),
    zeros: zeroRow(backend, ci),
  };
}

function winograd(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  padTop: number,
  padLeft: number,
  out: TensorInfo,
): void {
  const ci = x.shape[3];
  const co = filter.shape[3];
  const mod = simdExports(backend, 'Conv2D');
  const u = scratch(backend, 16 * mod.wino_plane(ci * co));
  const { v, m, zeros } = blockScratch(backend, mod, ci, co);
  mod.wino_filter(ptr(backend, filter), ci, co, ptr(backend, u));
  mod.wino_conv3x3(
    ptr(backend, x),
    ptr(backend, u),
    ...convDims(x, out),
    padTop,
    padLeft,
    WINOGRAD_TILES,
    ptr(backend, zeros),
    ptr(backend, v),
    ptr(backend, m),
    ptr(backend, out),
  );
  for (const t of [u, v, m, zeros]) backend.disposeData(t.dataId);
}

/**
 * y = the stride-1 correlation of x [n,h,w,ci] with filter [kh,kw,ci,co], padded by (padTop, padLeft) and
 * as many rows and columns at the far side as [outH, outW] needs; null where the SIMD kernel does not apply.
 */
export function conv2dSimd(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  padTop: number,
  padLeft: number,
  outH: number,
  outW: number,
): TensorInfo | null {
  const [n, , , ci] = x.shape;
  const [kh, kw, fci, co] = filter.shape;
  if (!convSimd.enabled || co % 8 !== 0 || fci !== ci || padTop < 0 || padLeft < 0 || !simdReady(backend))
    return null;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32') return null;
  const wino = winogradApplies(filter.shape);
  // Few input channels (an RGB first layer): too little work per tap for our direct tile; XNNPACK measured
  // faster there (Conv4's first layer at 84 px: ~100 ms against ~110).
  if (!wino && ci < 8) return null;
  const out = backend.makeOutput([n, outH, outW, co], 'float32');
  if (wino) {
    winograd(backend, x, filter, padTop, padLeft, out);
    return out;
  }
  const zeros = zeroRow(backend, ci);
  simdExports(backend, 'Conv2D').conv2d_s1(
    ptr(backend, x),
    ptr(backend, filter),
    ...convDims(x, out),
    kh,
    kw,
    padTop,
    padLeft,
    ptr(backend, zeros),
    ptr(backend, out),
  );
  backend.disposeData(zeros.dataId);
  return out;
}

interface Attrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function conv2DWasm(args: {
  inputs: { x: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: Attrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs;
  if (attrs.dataFormat === 'NHWC') {
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    const plain =
      info.strideHeight === 1 &&
      info.strideWidth === 1 &&
      info.dilationHeight === 1 &&
      info.dilationWidth === 1;
    if (plain) {
      const y = conv2dSimd(
        backend,
        x,
        filter,
        info.padInfo.top,
        info.padInfo.left,
        info.outHeight,
        info.outWidth,
      );
      if (y) return y;
    }
  }
  return captureStock(Conv2D)({ inputs, backend, attrs } as unknown as Parameters<
    ReturnType<typeof captureStock>
  >[0]) as TensorInfo;
}

export const conv2DConfig: KernelConfig = {
  kernelName: Conv2D,
  backendName: 'wasm',
  kernelFunc: conv2DWasm as unknown as KernelConfig['kernelFunc'],
};
