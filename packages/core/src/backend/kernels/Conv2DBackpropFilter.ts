/**
 * Weight gradient of conv2d on wasm (stock wasm has none).
 *
 * dW[i,j,ci,co] = sum_{n,oh,ow} x[n, oh*s+i-pad, ow*s+j-pad, ci] * dy[n,oh,ow,co] is itself a
 * correlation: with the input transposed to [ci, H, W, n] (channels as batch) and dy transposed to a
 * [Ho, Wo, n, co] filter dilated by the stride, one forward Conv2D gives [ci, kh, kw, co]. That runs in
 * XNNPACK's forward convolution, the fastest code in the backend, instead of a JS or naive C++ loop.
 */
import { backend_util, Conv2DBackpropFilter, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2d, dispose, padOrCrop, transpose } from './ops.js';

interface Attrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

export function conv2DBackpropFilterWasm(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: BackendWasm; attrs: Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  if (attrs.dataFormat !== 'NHWC') throw new Error(`Conv2DBackpropFilter (wasm): only NHWC is supported, got ${attrs.dataFormat}`);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight: ho, outWidth: wo } = info;
  const { top, left } = info.padInfo;
  // Rows and columns of the padded input that the convolution actually reads.
  const needH = (ho - 1) * sh + kh;
  const needW = (wo - 1) * sw + kw;
  const xp = padOrCrop(backend, x, top, needH - top - info.inHeight, left, needW - left - info.inWidth);
  const xt = transpose(backend, xp, [3, 1, 2, 0]);
  if (xp !== x) dispose(backend, xp);
  const dyt = transpose(backend, dy, [1, 2, 0, 3]);
  const r = conv2d(backend, xt, dyt, [sh, sw]);
  dispose(backend, xt, dyt);
  const out = transpose(backend, r, [1, 2, 0, 3]);
  dispose(backend, r);
  return out;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm as unknown as KernelConfig['kernelFunc'],
};
