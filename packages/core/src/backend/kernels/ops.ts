/**
 * Kernel-level building blocks for the composite kernels in this folder: each calls the stock wasm kernel
 * of the same job on TensorInfos (as TF.js's own backends compose kernels), never a high-level op, so no
 * tensor is tracked by the engine and no gradient is recorded.
 */
import {
  backend_util,
  getKernel,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const stockFuncs = new Map<string, KernelFunc>();

/** Remembers the stock wasm kernel before ours replaces it, so composites can still call it. */
export function captureStock(name: string): KernelFunc {
  let f = stockFuncs.get(name);
  if (!f) {
    const k = getKernel(name, 'wasm');
    if (!k)
      throw new Error(`wasm kernel '${name}' is not registered; import @tensorflow/tfjs-backend-wasm first`);
    f = k.kernelFunc;
    stockFuncs.set(name, f);
  }
  return f;
}

function run(
  name: string,
  backend: BackendWasm,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
): TensorInfo {
  const f = captureStock(name);
  return f({ inputs, backend, attrs }) as TensorInfo;
}

export function dispose(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

export const reshape = (b: BackendWasm, x: TensorInfo, shape: number[]) =>
  run('Reshape', b, { x }, { shape });
export const transpose = (b: BackendWasm, x: TensorInfo, perm: number[]) =>
  run('Transpose', b, { x }, { perm });
export const reverse = (b: BackendWasm, x: TensorInfo, dims: number[]) => run('Reverse', b, { x }, { dims });
export const slice = (b: BackendWasm, x: TensorInfo, begin: number[], size: number[]) =>
  run('Slice', b, { x }, { begin, size });
export const pad = (b: BackendWasm, x: TensorInfo, paddings: [number, number][]) =>
  run('PadV2', b, { x }, { paddings, constantValue: 0 });
export const add = (b: BackendWasm, a: TensorInfo, c: TensorInfo) => run('Add', b, { a, b: c }, {});
/** Stride-1 conv2d; `pad` as [[top, bottom], [left, right]] (XNNPACK pads on the fly, no copy). */
export const conv2d = (
  b: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  dilations: [number, number] = [1, 1],
  pad?: [[number, number], [number, number]],
): TensorInfo =>
  run('Conv2D', b, { x, filter }, {
    strides: [1, 1],
    pad: pad ? [[0, 0], ...pad, [0, 0]] : 'valid',
    dataFormat: 'NHWC',
    dilations,
    dimRoundingMode: null,
  } as unknown as NamedAttrMap);

/**
 * Pads (positive amounts) or crops (negative amounts) the spatial axes of an NHWC tensor.
 * Returns the input itself when nothing changes; the caller disposes the result only if it differs.
 */
export function padOrCrop(
  b: BackendWasm,
  x: TensorInfo,
  top: number,
  bottom: number,
  left: number,
  right: number,
): TensorInfo {
  const [n, h, w, c] = x.shape;
  let cur = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const t = Math.max(0, -top);
    const l = Math.max(0, -left);
    const sized = slice(
      b,
      cur,
      [0, t, l, 0],
      [n, h - t - Math.max(0, -bottom), w - l - Math.max(0, -right), c],
    );
    cur = sized;
  }
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    const padded = pad(b, cur, [
      [0, 0],
      [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)],
      [0, 0],
    ]);
    if (cur !== x) dispose(b, cur);
    cur = padded;
  }
  return cur;
}

/** The attributes both conv2d gradient kernels receive. */
export interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Geometry of the forward conv a gradient kernel differentiates (NHWC only, dilation 1). */
export function forwardConvInfo(
  kernel: string,
  inputShape: number[],
  filterShape: number[],
  attrs: ConvGradAttrs,
): backend_util.Conv2DInfo {
  if (attrs.dataFormat !== 'NHWC')
    throw new Error(`${kernel} (wasm): only NHWC is supported, got ${attrs.dataFormat}`);
  return backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}
