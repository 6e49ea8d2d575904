/**
 * Input gradient of conv2d on wasm, as a forward convolution.
 *
 * dx is the full correlation of dy (zero-inserted between rows/columns when the stride is > 1) with the
 * spatially flipped filter whose in/out channels are swapped. The stock kernel is a loop about 10x slower
 * than XNNPACK's forward convolution, which this reuses, or, where they apply, our SIMD conv kernels
 * (Conv2D.ts: Winograd for 3x3 filters, the direct kernel otherwise). The Winograd filter transform reads
 * the filter flipped and transposed in place: the stock Reverse kernel took ~120-200 ms on ResNet-12's
 * 3x3x640x640 filters, more than some of the convs.
 */
import { Conv2DBackpropInput, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2dSimd, flipTranspose } from './Conv2D.js';
import {
  conv2d,
  dispose,
  forwardConvInfo,
  pad,
  padOrCrop,
  reshape,
  slice,
  type ConvGradAttrs,
} from './ops.js';

interface Attrs extends ConvGradAttrs {
  inputShape: [number, number, number, number];
}

/** Inserts s-1 zeros between rows (and columns): [n,h,w,c] -> [n,(h-1)*sh+1,(w-1)*sw+1,c]. */
function zeroInsert(b: BackendWasm, dy: TensorInfo, sh: number, sw: number): TensorInfo {
  const [n, h, w, c] = dy.shape;
  const r6 = reshape(b, dy, [n, h, 1, w, 1, c]);
  const p6 = pad(b, r6, [
    [0, 0],
    [0, 0],
    [0, sh - 1],
    [0, 0],
    [0, sw - 1],
    [0, 0],
  ]);
  dispose(b, r6);
  const r4 = reshape(b, p6, [n, h * sh, w * sw, c]);
  dispose(b, p6);
  const out = slice(b, r4, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
  dispose(b, r4);
  return out;
}

export function conv2DBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: Attrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const info = forwardConvInfo('Conv2DBackpropInput', attrs.inputShape, filter.shape, attrs);
  const {
    strideHeight: sh,
    strideWidth: sw,
    filterHeight: kh,
    filterWidth: kw,
    inHeight: h,
    inWidth: w,
  } = info;
  const { top, left } = info.padInfo;
  const dyd = sh > 1 || sw > 1 ? zeroInsert(backend, dy, sh, sw) : dy;
  const hd = dyd.shape[1];
  const wd = dyd.shape[2];
  // Output of a valid correlation is (hd + padTop + padBottom - kh + 1) rows; solve for exactly h.
  const padTop = kh - 1 - top;
  const padLeft = kw - 1 - left;
  const padBottom = h - hd - padTop + kh - 1;
  const padRight = w - wd - padLeft + kw - 1;
  if (padTop >= 0 && padBottom >= 0 && padLeft >= 0 && padRight >= 0) {
    // Padding only (every stride-1 case): the convolution pads as it reads, without a padded copy of dy.
    // Our kernels take the filter unflipped (the Winograd transform flips it as it reads it).
    const simd = conv2dSimd(backend, dyd, filter, padTop, padLeft, h, w, true);
    if (simd) {
      if (dyd !== dy) dispose(backend, dyd);
      return simd;
    }
    const wf = flipTranspose(backend, filter);
    const dx = conv2d(
      backend,
      dyd,
      wf,
      [1, 1],
      [
        [padTop, padBottom],
        [padLeft, padRight],
      ],
    );
    dispose(backend, wf);
    if (dyd !== dy) dispose(backend, dyd);
    return dx;
  }
  const wf = flipTranspose(backend, filter);
  const dyp = padOrCrop(backend, dyd, padTop, padBottom, padLeft, padRight);
  if (dyd !== dy && dyp !== dyd) dispose(backend, dyd);
  const dx = conv2d(backend, dyp, wf);
  dispose(backend, wf);
  if (dyp !== dy) dispose(backend, dyp);
  return dx;
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputWasm as unknown as KernelConfig['kernelFunc'],
};
