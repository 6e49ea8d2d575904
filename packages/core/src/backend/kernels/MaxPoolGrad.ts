/**
 * Max-pool gradient on wasm: routes each output gradient to the first maximum of its window, exactly as
 * the cpu backend does. A single pass over typed views of the wasm heap; the stock kernel is ~10x slower.
 */
import { backend_util, MaxPoolGrad, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

interface Attrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function maxPoolGradWasm(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  backend: BackendWasm;
  attrs: Attrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const out = backend.makeOutput(input.shape, 'float32');
  // Views are taken after the allocation: growing the heap detaches older views.
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  dx.fill(0);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  if (fh === 2 && fw === 2 && sh === 2 && sw === 2 && top === 0 && left === 0 && ho * 2 <= h && wo * 2 <= w) {
    pool2x2Grad(x, g, dx, n, h, w, c, ho, wo);
    return out;
  }
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < ho; oh++) {
      const h0 = Math.max(0, oh * sh - top);
      const h1 = Math.min(h, oh * sh - top + fh);
      for (let ow = 0; ow < wo; ow++) {
        const w0 = Math.max(0, ow * sw - left);
        const w1 = Math.min(w, ow * sw - left + fw);
        best.fill(-Infinity);
        where.fill(-1);
        for (let i = h0; i < h1; i++) {
          for (let j = w0; j < w1; j++) {
            const base = ((b * h + i) * w + j) * c;
            for (let k = 0; k < c; k++) {
              const v = x[base + k];
              if (v > best[k] || where[k] < 0) {
                best[k] = v;
                where[k] = base + k;
              }
            }
          }
        }
        const gBase = ((b * ho + oh) * wo + ow) * c;
        for (let k = 0; k < c; k++) if (where[k] >= 0) dx[where[k]] += g[gBase + k];
      }
    }
  }
  return out;
}

/**
 * The 2x2/2 unpadded window (every pool in Conv4 and ResNet-12): four candidates compared in the same order
 * as the generic loop (row-major, first maximum wins), without per-window bookkeeping.
 */
function pool2x2Grad(
  x: Float32Array,
  g: Float32Array,
  dx: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
  ho: number,
  wo: number,
): void {
  const row = w * c;
  let gi = 0;
  for (let b = 0; b < n; b++) {
    for (let oh = 0; oh < ho; oh++) {
      let p = (b * h + 2 * oh) * row;
      for (let ow = 0; ow < wo; ow++, p += 2 * c) {
        for (let k = 0; k < c; k++, gi++) {
          const i0 = p + k;
          const i1 = i0 + c;
          const i2 = i0 + row;
          const i3 = i2 + c;
          let best = i0;
          let v = x[i0];
          if (x[i1] > v) {
            best = i1;
            v = x[i1];
          }
          if (x[i2] > v) {
            best = i2;
            v = x[i2];
          }
          if (x[i3] > v) best = i3;
          dx[best] += g[gi];
        }
      }
    }
  }
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGradWasm as unknown as KernelConfig['kernelFunc'],
};
