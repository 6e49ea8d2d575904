/**
 * Weight gradient of conv2d on wasm (stock wasm has none).
 *
 * dW[i,j,ci,co] = sum_{n,oh,ow} x[n, oh*s+i-pad, ow*s+j-pad, ci] * dy[n,oh,ow,co] is itself a
 * correlation: with the input transposed to [ci, H, W, n] (channels as batch) and dy transposed to a
 * [Ho, Wo, n, co] filter dilated by the stride, one forward Conv2D gives [ci, kh, kw, co]. That runs in
 * XNNPACK's forward convolution, the fastest code in the backend, instead of a JS or naive C++ loop.
 *
 * XNNPACK packs the whole filter (here dy, Ho*Wo*n*co floats) before it runs. For very large maps the rows
 * of dy are cut into bands and the bands' partial gradients summed, which bounds that packed copy in the
 * 4 GiB heap. Bands are large: measured on an idle core, Conv4's second layer at 84 px (80 images) takes
 * 411 ms unbanded, 429 ms in 3 bands and 1145 ms in 39, so banding is for memory, not speed.
 *
 * That route is still slow where dW is small (XNNPACK re-streams the packed dy for every few of dW's rows,
 * and transposes both operands first): at 84 px it took half of a Conv4 step, several times the forward
 * conv of the same FLOPs. Stride-1 convs (every conv of Conv4 and ResNet-12) with a multiple of 8 output
 * channels instead run our own SIMD kernel (wasm/conv_filter_grad.c, see simd.ts): register-tiled outer
 * products in one pass over x and dy, without transposes or packed copies. Stride-1 3x3 filters over a
 * multiple of 4 input channels take the Winograd weight gradient of the same module (wasm/winograd.c:
 * dU = sum over tiles of V^T D, dW = G^T dU G), with the forward conv's tile (Conv2D.ts, winogradTile):
 * 36 multiply-adds per 4x4 tile and channel pair instead of 144, or 16 per 2x2 tile instead of 36.
 */
import { Conv2DBackpropFilter, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convDims, heap, ptr, simdExports, simdReady } from './simd.js';
import { winogradApplies, winogradFilterGrad } from './Conv2D.js';
import {
  add,
  conv2d,
  dispose,
  forwardConvInfo,
  padOrCrop,
  slice,
  transpose,
  type ConvGradAttrs,
} from './ops.js';
import { computeOptions } from '../compute-options.js';

interface Attrs extends ConvGradAttrs {
  filterShape: [number, number, number, number];
}

export function conv2DBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: Attrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const info = forwardConvInfo('Conv2DBackpropFilter', x.shape, attrs.filterShape, attrs);
  const {
    strideHeight: sh,
    strideWidth: sw,
    filterHeight: kh,
    filterWidth: kw,
    outHeight: ho,
    outWidth: wo,
  } = info;
  const { top, left } = info.padInfo;
  const co = info.outChannels;
  const stride1 = sh === 1 && sw === 1;
  const { simd } = computeOptions().convFilter;
  if (simd && stride1 && winogradApplies(attrs.filterShape) && simdReady(backend))
    return winogradFilterGrad(backend, x, dy, top, left);
  if (simd && stride1 && co % 8 === 0 && simdReady(backend)) {
    const mod = simdExports(backend, 'Conv2DBackpropFilter');
    const out = backend.makeOutput(attrs.filterShape, 'float32');
    // The kernel accumulates into dW. (A fresh allocation need not be zero: TF.js reuses freed memory.)
    new Float32Array(heap(backend), ptr(backend, out), kh * kw * info.inChannels * co).fill(0);
    mod.conv_filter_grad(
      ptr(backend, x),
      ptr(backend, dy),
      ...convDims(x, dy),
      kh,
      kw,
      top,
      left,
      ptr(backend, out),
    );
    return out;
  }
  // Rows and columns of the padded input that the convolution actually reads.
  const needH = (ho - 1) * sh + kh;
  const needW = (wo - 1) * sw + kw;
  const xp = padOrCrop(backend, x, top, needH - top - info.inHeight, left, needW - left - info.inWidth);
  const xt = transpose(backend, xp, [3, 1, 2, 0]);
  if (xp !== x) dispose(backend, xp);
  const dyt = transpose(backend, dy, [1, 2, 0, 3]);
  const [ci, , , n] = xt.shape;
  const rowFloats = wo * n * co;
  const { bandFloats, minBandChannels: minChannels } = computeOptions().convFilter;
  const bandRows =
    ci >= minChannels && ho * rowFloats > 2 * bandFloats
      ? Math.max(1, Math.floor(bandFloats / rowFloats))
      : ho;
  let r: TensorInfo | null = null;
  for (let r0 = 0; r0 < ho; r0 += bandRows) {
    const rows = Math.min(bandRows, ho - r0);
    const whole = rows === ho;
    const xs = whole ? xt : slice(backend, xt, [0, r0 * sh, 0, 0], [ci, (rows - 1) * sh + kh, needW, n]);
    const ds = whole ? dyt : slice(backend, dyt, [r0, 0, 0, 0], [rows, wo, n, co]);
    const part = conv2d(backend, xs, ds, [sh, sw]);
    if (!whole) dispose(backend, xs, ds);
    if (r === null) r = part;
    else {
      const sum = add(backend, r, part);
      dispose(backend, r, part);
      r = sum;
    }
  }
  dispose(backend, xt, dyt);
  const out = transpose(backend, r!, [1, 2, 0, 3]);
  dispose(backend, r!);
  return out;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm as unknown as KernelConfig['kernelFunc'],
};
