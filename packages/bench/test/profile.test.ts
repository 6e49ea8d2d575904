/**
 * `pnpm bench profile` attributes a training step's kernels to the right layer and direction, leaves the
 * kernel registry and the model as it found them, and leaks no tensors. A small Conv4 step (32 px, 2-way
 * 1-shot 2-query) on wasm: the attribution does not depend on the size.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@rcn/core';
import { profileRows, profileTrainingStep, type StepProfile } from '../src/profile.js';

describe('bench profile', () => {
  let p: StepProfile;
  let kernelsBefore: Map<string, tf.KernelFunc>;
  let tensorsBefore: number;

  beforeAll(async () => {
    await initBackend('wasm');
    kernelsBefore = new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k.kernelFunc]));
    tensorsBefore = tf.memory().numTensors;
    p = await profileTrainingStep({ backbone: 'conv4', imageSize: 32, way: 2, shot: 1, query: 2, steps: 2 });
  });

  const cell = (layer: string, direction: string, kernel: string) =>
    p.entries.find((e) => e.layer === layer && e.direction === direction && e.kernel === kernel);

  it('puts each conv kernel on its layer and direction, once per image set and step', () => {
    for (let i = 1; i <= 4; i++) {
      const layer = `encoder.layer${i}`;
      // Support and query passes: two calls per step.
      expect(cell(layer, 'forward', 'Conv2D')?.calls).toBe(2 * p.steps);
      expect(cell(layer, 'backward', 'Conv2DBackpropFilter')?.calls).toBe(2 * p.steps);
      // The images are not trained: the first layer's input gradient is never computed.
      expect(cell(layer, 'backward', 'Conv2DBackpropInput')?.calls).toBe(i === 1 ? undefined : 2 * p.steps);
      expect(cell(layer, 'forward', 'Conv2DBackpropFilter')).toBeUndefined();
    }
    // BatchNorm + ReLU (+ the max-pool of layers 1-2) run as one fused kernel per pass and direction, so
    // no separate MaxPoolGrad remains.
    for (let i = 1; i <= 4; i++) {
      const layer = `encoder.layer${i}`;
      expect(cell(layer, 'forward', 'RcnBatchNormActForward')?.calls).toBe(2 * p.steps);
      expect(cell(layer, 'backward', 'RcnBatchNormActBackward')?.calls).toBe(2 * p.steps);
      expect(cell(layer, 'backward', 'MaxPoolGrad')).toBeUndefined();
    }
  });

  it('separates the head forward and backward and the optimiser update', () => {
    const layers = new Set(p.entries.map((e) => `${e.layer} ${e.direction}`));
    expect(layers).toContain('head forward');
    expect(layers).toContain('head backward');
    expect(layers).toContain('optimizer update');
    // The comparison's product of every support region with every query region, forward and backward.
    expect(cell('head', 'forward', 'BatchMatMul')?.calls).toBeGreaterThan(0);
    expect(cell('head', 'backward', 'BatchMatMul')?.calls).toBeGreaterThan(0);
    // No convolution outside the backbone's blocks.
    expect(
      p.entries.filter((e) => e.kernel.startsWith('Conv2D') && !e.layer.startsWith('encoder.layer')),
    ).toEqual([]);
  });

  it('accounts for no more than the wall time, and sorts its rows by time', () => {
    expect(p.kernelMs).toBeGreaterThan(0);
    expect(p.kernelMs).toBeLessThanOrEqual(p.wallMs);
    const rows = profileRows(p, 'Conv4 32px');
    for (const group of ['direction', 'kernel', 'layer']) {
      const values = rows.filter((r) => r.name.includes(` ${group}: `)).map((r) => r.value);
      expect(values.length).toBeGreaterThan(0);
      expect(values).toEqual([...values].sort((a, b) => b - a));
    }
    const byDirection = rows.filter((r) => r.name.includes(' direction: ')).reduce((s, r) => s + r.value, 0);
    expect(byDirection).toBeCloseTo(p.kernelMs / p.steps, 6);
  });

  it('restores the kernel registry and leaks no tensors', () => {
    const after = new Map(tf.getKernelsForBackend('wasm').map((k) => [k.kernelName, k.kernelFunc]));
    expect(after.size).toBe(kernelsBefore.size);
    for (const [name, f] of kernelsBefore) expect(after.get(name), name).toBe(f);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});
