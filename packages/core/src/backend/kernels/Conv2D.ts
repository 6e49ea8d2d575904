/**
 * Forward conv2d on wasm by our SIMD module (simd.ts) where it applies, else the stock XNNPACK kernel:
 * - stride-1 3x3 filters over a multiple of 4 input channels and 8 output channels (Conv4 and ResNet-12
 *   after the first layer): Winograd (wasm/winograd.c), F(4x4, 3x3) with 36 multiply-adds per 4x4 outputs
 *   instead of 144, or F(2x2, 3x3) with 16 per 2x2 instead of 36 on maps too small for 4x4 tiles (see
 *   winogradTile);
 *   3x3 filters over other channel counts (RGB first layers) take Winograd too, their channels
 *   zero-padded to a multiple of 4 (Conv4's first layer, 80 images, one core: XNNPACK ~18-21 ms at 32 px
 *   and ~170-188 ms at 84 px, this ~12-13 and ~151-155 ms, padding included);
 * - other stride-1, dilation-1 NHWC convs with a multiple of 8 output channels and at least 8 input
 *   channels (ResNet-12's 1x1 shortcuts): a direct kernel (wasm/conv2d.c) that reads NHWC in place.
 * The input gradient (Conv2DBackpropInput.ts) and the weight gradient (Conv2DBackpropFilter.ts) use the
 * same kernels.
 *
 * Why not XNNPACK: TF.js's binary is built for baseline SIMD, so each multiply-add is two instructions,
 * while the module's relaxed build issues one fused multiply-add; and XNNPACK has no Winograd path.
 * Measured on the README's 2-core Xeon, one core, Conv4's second layer at 84 px (80 images): XNNPACK
 * ~410 ms, the direct kernel ~320 ms, Winograd F(2x2) ~130-160 ms. F(4x4) against F(2x2), same core, 80
 * images: 16x16 maps 64->64 channels ~15 against ~22 ms, 21x21 160->320 ~305-335 against ~430-455 ms,
 * 10x10 640->640 (a third of the 4x4 tiles' outputs is padding) ~620-680 against ~700 ms. Its float32
 * error against the cpu backend is ~5e-6..1e-5 (max-normalised), F(2x2)'s ~1e-6 (kernels.test.ts checks
 * both routes at 1e-4). `pnpm bench profile` splits a whole step.
 */
import { backend_util, Conv2D, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { computeOptions } from '../compute-options.js';
import { captureStock, dispose, reverse, transpose } from './ops.js';
import { convDims, heap, ptr, simdExports, simdReady, type SimdExports, type WinogradTile } from './simd.js';

/**
 * Tiles per Winograd block, by tile size: a block's transformed inputs and products ((m + 2)^2 * tb *
 * (ci + co) floats) should stay in L2.
 */
const WINOGRAD_TILES: Record<WinogradTile, number> = { 2: 64, 4: 32 };

/** Multiplies per output, per (ci, co) pair, of F(m x m, 3x3) over an [ho, wo] map, partial tiles included. */
function winogradCost(m: WinogradTile, ho: number, wo: number): number {
  return (Math.ceil(ho / m) * Math.ceil(wo / m) * (m + 2) ** 2) / (ho * wo);
}

/**
 * The Winograd tile for an [ho, wo] output (or output gradient): F(4x4, 3x3) where it needs fewer
 * multiplies than F(2x2, 3x3) (36 per 16 outputs against 16 per 4 on whole tiles; on small maps its
 * partial tiles waste more), else F(2x2, 3x3), whose transforms round less.
 */
export function winogradTile(ho: number, wo: number): WinogradTile {
  const { winogradTile } = computeOptions().conv;
  if (winogradTile !== 'auto') return winogradTile;
  return winogradCost(4, ho, wo) < winogradCost(2, ho, wo) ? 4 : 2;
}

/** Winograd applies: a 3x3 filter over a multiple of 4 input channels (stride 1, the caller's). */
export function winogradApplies(filterShape: number[]): boolean {
  const [kh, kw, ci, co] = filterShape;
  const { simd, winograd } = computeOptions().conv;
  return simd && winograd && kh === 3 && kw === 3 && ci % 4 === 0 && co % 8 === 0;
}

/**
 * dW [3,3,ci,co] of the stride-1 conv of x [n,h,w,ci] giving dy [n,ho,wo,co] with padding (padTop,
 * padLeft), by Winograd (wasm/winograd.c). The caller checks `winogradApplies` and simdReady.
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
  const tile = winogradTile(dy.shape[1], dy.shape[2]);
  const { v, m: d, zeros } = blockScratch(backend, mod, tile, ci, co);
  const s = scratch(backend, (tile + 2) ** 2 * mod.wino_plane(ci * co));
  mod.wino_filter_grad3x3(
    tile,
    ptr(backend, x),
    ptr(backend, dy),
    ...convDims(x, dy),
    padTop,
    padLeft,
    WINOGRAD_TILES[tile],
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
  tile: WinogradTile,
  ci: number,
  co: number,
): { v: TensorInfo; m: TensorInfo; zeros: TensorInfo } {
  const planes = (tile + 2) ** 2;
  return {
    v: scratch(backend, planes * mod.wino_plane(WINOGRAD_TILES[tile] * ci)),
    m: scratch(backend, planes * mod.wino_plane(WINOGRAD_TILES[tile] * co)),
    zeros: zeroRow(backend, ci),
  };
}

function winograd(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  flipped: boolean,
  padTop: number,
  padLeft: number,
  out: TensorInfo,
): void {
  const ci = x.shape[3];
  const co = out.shape[3];
  const mod = simdExports(backend, 'Conv2D');
  const tile = winogradTile(out.shape[1], out.shape[2]);
  const u = scratch(backend, (tile + 2) ** 2 * mod.wino_plane(ci * co));
  const { v, m, zeros } = blockScratch(backend, mod, tile, ci, co);
  mod.wino_filter(tile, flipped ? 1 : 0, ptr(backend, filter), ci, co, ptr(backend, u));
  mod.wino_conv3x3(
    tile,
    ptr(backend, x),
    ptr(backend, u),
    ...convDims(x, out),
    padTop,
    padLeft,
    WINOGRAD_TILES[tile],
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
 * `flipped`: the filter is given as [kh,kw,co,ci] and used flipped and transposed (the input gradient's
 * filter, see Conv2DBackpropInput.ts); the Winograd transform reads it so in place, the direct kernel gets
 * a flipped copy.
 */
export function conv2dSimd(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  padTop: number,
  padLeft: number,
  outH: number,
  outW: number,
  flipped = false,
): TensorInfo | null {
  const [n, , , ci] = x.shape;
  const [kh, kw, a, b] = filter.shape;
  const shape = flipped ? [kh, kw, b, a] : [kh, kw, a, b];
  const co = shape[3];
  if (
    !computeOptions().conv.simd ||
    co % 8 !== 0 ||
    shape[2] !== ci ||
    padTop < 0 ||
    padLeft < 0 ||
    !simdReady(backend)
  )
    return null;
  if (x.dtype !== 'float32' || filter.dtype !== 'float32') return null;
  const wino = winogradApplies(shape);
  if (!wino && !flipped && winogradApplies([kh, kw, 4 * Math.ceil(ci / 4), co]))
    return paddedWinograd(backend, x, filter, padTop, padLeft, outH, outW);
  // Few input channels: too little work per tap for our direct tile.
  if (!wino && ci < 8) return null;
  const out = backend.makeOutput([n, outH, outW, co], 'float32');
  if (wino) {
    winograd(backend, x, filter, flipped, padTop, padLeft, out);
    return out;
  }
  const w = flipped ? flipTranspose(backend, filter) : filter;
  const zeros = zeroRow(backend, ci);
  simdExports(backend, 'Conv2D').conv2d_s1(
    ptr(backend, x),
    ptr(backend, w),
    ...convDims(x, out),
    kh,
    kw,
    padTop,
    padLeft,
    ptr(backend, zeros),
    ptr(backend, out),
  );
  dispose(backend, zeros, ...(w === filter ? [] : [w]));
  return out;
}

/**
 * A 3x3 conv whose input channels are not a multiple of 4 (an RGB first layer) by Winograd after all: x's
 * channels and the filter's input channels zero-padded to the next multiple of 4, which leaves the sums
 * unchanged.
 */
function paddedWinograd(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  padTop: number,
  padLeft: number,
  outH: number,
  outW: number,
): TensorInfo {
  const [n, h, w, ci] = x.shape;
  const [kh, kw, , co] = filter.shape;
  const ci4 = 4 * Math.ceil(ci / 4);
  const mod = simdExports(backend, 'Conv2D');
  const xp = backend.makeOutput([n, h, w, ci4], 'float32');
  mod.pad_rows(ptr(backend, x), n * h * w, ci, ci4, ptr(backend, xp));
  const fp = backend.makeOutput([kh, kw, ci4, co], 'float32');
  mod.pad_rows(ptr(backend, filter), kh * kw, ci * co, ci4 * co, ptr(backend, fp));
  const out = backend.makeOutput([n, outH, outW, co], 'float32');
  winograd(backend, xp, fp, false, padTop, padLeft, out);
  dispose(backend, xp, fp);
  return out;
}

/** [kh,kw,a,b] -> [kh,kw,b,a], flipped in both spatial axes: the input gradient's filter. */
export function flipTranspose(backend: BackendWasm, filter: TensorInfo): TensorInfo {
  const flipped = reverse(backend, filter, [0, 1]);
  const wf = transpose(backend, flipped, [0, 1, 3, 2]);
  dispose(backend, flipped);
  return wf;
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
