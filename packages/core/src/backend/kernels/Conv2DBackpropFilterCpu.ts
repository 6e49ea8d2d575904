/**
 * Weight gradient of conv2d on the cpu backend. The stock kernel reads every element through
 * TensorBuffer.get (an index computation per multiply-add); it took 80% of a Conv4 training step on cpu.
 * This one walks NHWC rows directly: for each filter tap and output position, the input's channel row
 * times dy's channel row, accumulated in float64 as the stock kernel's dot products are.
 */
import {
  backend_util,
  Conv2DBackpropFilter,
  getKernel,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

interface Attrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

interface CpuBackend {
  data: { get(id: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

let stock: KernelFunc | undefined;

export function conv2DBackpropFilterCpu(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: CpuBackend;
  attrs: Attrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  if (attrs.dataFormat === 'NCHW' || x.dtype !== 'float32' || dy.dtype !== 'float32') {
    if (!stock) throw new Error('Conv2DBackpropFilter (cpu): stock kernel not captured');
    return stock(args as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
  }
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
  const xv = backend.data.get(x.dataId).values as Float32Array;
  const gv = backend.data.get(dy.dataId).values as Float32Array;
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo } = info;
  const { outChannels: co, filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const acc = new Float64Array(fh * fw * ci * co);
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      const tap = (i * fw + j) * ci * co;
      for (let b = 0; b < n; b++) {
        for (let oy = 0; oy < ho; oy++) {
          const iy = oy * sh + i - top;
          if (iy < 0 || iy >= h) continue;
          for (let ox = 0; ox < wo; ox++) {
            const ix = ox * sw + j - left;
            if (ix < 0 || ix >= w) continue;
            const xBase = ((b * h + iy) * w + ix) * ci;
            const gBase = ((b * ho + oy) * wo + ox) * co;
            for (let c = 0; c < ci; c++) {
              const a = xv[xBase + c];
              const row = tap + c * co;
              for (let o = 0; o < co; o++) acc[row + o] += a * gv[gBase + o];
            }
          }
        }
      }
    }
  }
  return backend.makeTensorInfo(attrs.filterShape, 'float32', Float32Array.from(acc));
}

/** Registers the kernel on cpu (after the cpu backend is imported), keeping the stock one for NCHW. */
export function registerCpuConvFilterGrad(): void {
  const k = getKernel(Conv2DBackpropFilter, 'cpu');
  if (!k || k.kernelFunc === (conv2DBackpropFilterCpuConfig.kernelFunc as KernelFunc)) return;
  stock = k.kernelFunc;
  unregisterKernel(Conv2DBackpropFilter, 'cpu');
  registerKernel(conv2DBackpropFilterCpuConfig);
}

export const conv2DBackpropFilterCpuConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'cpu',
  kernelFunc: conv2DBackpropFilterCpu as unknown as KernelConfig['kernelFunc'],
};
