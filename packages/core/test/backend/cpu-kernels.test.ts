/**
 * The cpu backend's replacement Conv2DBackpropFilter (kernels/Conv2DBackpropFilterCpu.ts) against the stock
 * cpu kernel it replaces, on the padding / stride combinations conv2d accepts.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The gradient and chained-op registries, which initBackend loads: the stock kernel runs before it.
import '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';

interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  pad: 'valid' | 'same' | number;
}

const cases: ConvCase[] = [
  { x: [2, 12, 12, 3], f: [3, 3, 3, 8], stride: 1, pad: 'valid' },
  { x: [3, 7, 9, 8], f: [3, 3, 8, 5], stride: 1, pad: 'same' },
  { x: [2, 9, 9, 6], f: [1, 1, 6, 10], stride: 1, pad: 'valid' },
  { x: [2, 11, 10, 4], f: [3, 3, 4, 6], stride: 2, pad: 'same' },
  { x: [2, 12, 12, 4], f: [5, 5, 4, 6], stride: 2, pad: 2 },
];

function grad(c: ConvCase): Float32Array {
  return tf.tidy(() => {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal(c.f, 0, 0.1, 'float32', 2) as tf.Tensor4D;
    const g = tf.grad((b: tf.Tensor) =>
      tf
        .conv2d(x, b as tf.Tensor4D, c.stride, c.pad)
        .square()
        .sum(),
    );
    return g(w).dataSync() as Float32Array;
  });
}

describe('cpu Conv2DBackpropFilter', () => {
  it('equals the stock cpu kernel', async () => {
    await tf.setBackend('cpu');
    const stockKernel = tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc;
    const stock = cases.map(grad);
    await initBackend('cpu');
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')?.kernelFunc).not.toBe(stockKernel);
    cases.forEach((c, i) => {
      const ours = grad(c);
      let diff = 0;
      let scale = 0;
      ours.forEach((v, k) => {
        diff = Math.max(diff, Math.abs(v - stock[i][k]));
        scale = Math.max(scale, Math.abs(stock[i][k]));
      });
      expect(diff / scale, JSON.stringify(c)).toBeLessThanOrEqual(1e-6);
    });
  });
});
