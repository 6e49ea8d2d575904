/**
 * The webgpu backend (Dawn + tfjs-backend-webgpu; on CI Mesa's lavapipe, a CPU Vulkan driver, so every shape
 * here is small): every kernel the models use against the cpu backend, a Conv4 and a ResNet-12 training step
 * against wasm, a short trainer run, what `auto` picks, the report, and the guard that turns an oversize
 * tensor or a device error into a thrown error instead of zeros.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  WebGpuDeviceError,
  WebGpuLimitError,
  checkWorkers,
  initBackend,
  type BackendInfo,
} from '../../src/backend/index.js';
import { type ConcreteBackend } from '../../src/backend/select.js';
import { conv2dGradFilter, conv2dGradInput, maxPool2Grad } from '../../src/model/backward/grad-kernels.js';
import { RCN, openCheckpoint, saveCheckpoint, type ModelConfigInput } from '../../src/model/index.js';
import { computeEpisodeRam } from '../../src/explain/index.js';
import { gradCamRegions } from '../../src/explain/gradcam.js';
import { disposeBatch, syntheticBatch } from '../../src/model/synthetic.js';
import { RunDir, defaultTrainConfig, train, type TrainConfig } from '../../src/train/index.js';
import { requireSharedData } from '@rcn/test-utils';
import { webGpuMissing } from '../helpers/webgpu.js';
import { relErr } from '../helpers/rel-err.js';

const missing = await webGpuMissing();

function rnd(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** Sum of out * fixed random weights: a scalar whose gradient is a dense, non-uniform upstream gradient. */
function probe(out: tf.Tensor, seed: number): tf.Scalar {
  return tf.sum(tf.mul(out, rnd(out.shape, seed)));
}

/** Each case returns its outputs and the gradients of a probe with respect to its inputs. */
const KERNELS: Record<string, () => tf.Tensor[]> = {
  'Conv2D valid + gradients': () => {
    const x = rnd([3, 9, 9, 5], 1);
    const w = rnd([3, 3, 5, 7], 2);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      probe(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid'), 3);
    return [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'), ...tf.grads(f)([x, w])];
  },
  'Conv2D same': () => [
    tf.conv2d(rnd([2, 8, 8, 4], 4) as tf.Tensor4D, rnd([3, 3, 4, 6], 5) as tf.Tensor4D, 1, 'same'),
  ],
  'Conv2D 1x1 (shortcut, region weights)': () => [
    tf.conv2d(rnd([2, 5, 5, 6], 6) as tf.Tensor4D, rnd([1, 1, 6, 3], 7) as tf.Tensor4D, 1, 'valid'),
  ],
  'Conv2DBackpropFilter / Conv2DBackpropInput (hand-scheduled backward)': () => {
    const x = rnd([4, 10, 10, 6], 8) as tf.Tensor4D;
    const dy = rnd([4, 10, 10, 8], 9) as tf.Tensor4D;
    const w = rnd([3, 3, 6, 8], 10) as tf.Tensor4D;
    const dyv = rnd([4, 8, 8, 8], 11) as tf.Tensor4D;
    return [
      conv2dGradFilter(x, dy, [3, 3, 6, 8], 'same'),
      conv2dGradFilter(x, dyv, [3, 3, 6, 8], 'valid'),
      conv2dGradInput(dy, w, [4, 10, 10, 6], 'same'),
      conv2dGradInput(dyv, w, [4, 10, 10, 6], 'valid'),
    ];
  },
  'MaxPool 2x2 + MaxPoolGrad': () => {
    const x = rnd([2, 8, 8, 3], 12) as tf.Tensor4D;
    const y = tf.maxPool(x, 2, 2, 'valid');
    return [y, maxPool2Grad(rnd(y.shape, 13) as tf.Tensor4D, x, y)];
  },
  'moments, rsqrt, sqrt (BatchNorm)': () => {
    const x = rnd([4, 6, 6, 5], 14);
    const m = tf.moments(x, [0, 1, 2]);
    return [m.mean, m.variance, tf.rsqrt(tf.add(m.variance, 1e-5)), tf.sqrt(tf.add(m.variance, 1))];
  },
  'Sum / Mean over leading and trailing axes': () => {
    const x = rnd([3, 4, 5, 6], 15);
    return [tf.sum(x, [0, 1, 2]), tf.mean(x, [1, 2]), tf.sum(x, -1), tf.mean(x)];
  },
  'MatMul and BatchMatMul with transposes': () => {
    const a = rnd([7, 5], 16);
    const b = rnd([7, 6], 17);
    const c = rnd([3, 5, 4], 18);
    const d = rnd([3, 6, 4], 19);
    const e = rnd([3, 5, 6], 25);
    return [
      tf.matMul(a, b, true, false),
      tf.matMul(b, a, true, false),
      tf.matMul(c, d, false, true),
      tf.matMul(c, e, true, false),
    ];
  },
  'ReLU, LeakyReLU, sigmoid and their gradients': () => {
    const x = rnd([4, 33], 20);
    const f = (v: tf.Tensor) => probe(tf.add(tf.add(tf.relu(v), tf.leakyRelu(v, 0.1)), tf.sigmoid(v)), 21);
    return [tf.relu(x), tf.leakyRelu(x, 0.1), tf.sigmoid(x), tf.grad(f)(x)];
  },
  'softmax, logSoftmax, MSE loss and gradients': () => {
    const logits = rnd([6, 5], 22);
    const target = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0], 'int32'), 5);
    const mse = (v: tf.Tensor) => tf.mean(tf.square(tf.sub(tf.softmax(v), target))) as tf.Scalar;
    return [tf.softmax(logits), tf.logSoftmax(logits), mse(logits), tf.grad(mse)(logits)];
  },
  'max, maximum, argMax, slice, pad, transpose, tile, addN, less, cast': () => {
    const x = rnd([3, 4, 5], 23);
    const y = rnd([3, 4, 5], 24);
    return [
      tf.max(x, -1),
      tf.maximum(x, y),
      tf.cast(tf.argMax(x, -1), 'float32'),
      tf.slice(x, [1, 0, 2], [2, 3, 2]),
      tf.pad(x, [
        [0, 0],
        [1, 1],
        [2, 0],
      ]),
      tf.transpose(x, [2, 0, 1]),
      tf.tile(x, [2, 1, 1]),
      tf.addN([x, y, x]),
      tf.cast(tf.less(x, y), 'float32'),
    ];
  },
};

async function runKernels(): Promise<Map<string, Float32Array[]>> {
  const out = new Map<string, Float32Array[]>();
  for (const [name, fn] of Object.entries(KERNELS)) {
    const ts = tf.tidy(fn);
    out.set(name, await Promise.all(ts.map(async (t) => (await t.data()) as Float32Array)));
    tf.dispose(ts);
  }
  return out;
}

async function gradientStep(
  backend: ConcreteBackend,
  cfg: ModelConfigInput,
  size: number,
): Promise<{ loss: number; grads: Map<string, Float32Array>; leaked: number }> {
  await initBackend(backend);
  const model = new RCN(cfg);
  const batch = syntheticBatch(size, 3, 1, 2);
  // A first step builds lazily cached constants; the second must leave the tensor count as it found it.
  const first = model.computeGradients(batch);
  tf.dispose([first.loss, ...first.grads.values()]);
  const before = tf.memory().numTensors;
  const r = model.computeGradients(batch);
  const loss = (await r.loss.data())[0];
  const grads = new Map<string, Float32Array>();
  for (const [n, t] of r.grads) grads.set(n, (await t.data()) as Float32Array);
  r.loss.dispose();
  tf.dispose([...r.grads.values()]);
  const leaked = tf.memory().numTensors - before;
  disposeBatch(batch);
  model.dispose();
  return { loss, grads, leaked };
}

describe.skipIf(missing !== null)('webgpu backend', () => {
  let info: BackendInfo;
  beforeAll(async () => {
    info = await initBackend('webgpu');
  });

  it('reports the adapter, whether it is a CPU fallback, and its limits', () => {
    expect(info.name).toBe('webgpu');
    expect(info.tfBackend).toBe('webgpu');
    const a = info.adapter!;
    expect(a.description.length + a.device.length).toBeGreaterThan(0);
    expect(a.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(2 ** 27);
    expect(a.limits.maxBufferSize).toBeGreaterThanOrEqual(a.limits.maxStorageBufferBindingSize);
    // lavapipe and SwiftShader are named as what they are.
    if (/llvmpipe|swiftshader/i.test(a.description)) expect(a.cpuFallback).toBe(true);
    expect(info.devices[0]).toContain(a.description || a.device);
    expect(info.devices.join('\n')).toContain('maxStorageBufferBindingSize');
  });

  it('every kernel the models use equals the cpu backend (relative error <= 1e-4)', async () => {
    await initBackend('cpu');
    const ref = await runKernels();
    await initBackend('webgpu');
    const got = await runKernels();
    const errs: Record<string, number> = {};
    for (const [name, outs] of ref) {
      const g = got.get(name)!;
      expect(g.length, name).toBe(outs.length);
      errs[name] = Math.max(...outs.map((o, i) => relErr(g[i], o)));
    }
    console.log('webgpu vs cpu, worst relative error per kernel case:', errs);
    for (const [name, e] of Object.entries(errs)) expect(e, name).toBeLessThanOrEqual(1e-4);
  });

  const steps: [string, ModelConfigInput, number][] = [
    ['Conv4', { backbone: 'conv4', imageSize: 20, widths: [8, 8, 8, 8], seed: 3 }, 20],
    ['ResNet-12', { backbone: 'resnet12', imageSize: 16, widths: [4, 6, 8, 10], seed: 4 }, 16],
  ];
  for (const [label, cfg, size] of steps) {
    it(`a ${label} RCN training step equals wasm's (loss 1e-5, gradients 1e-3) and leaks no tensor`, async () => {
      const w = await gradientStep('wasm', cfg, size);
      const g = await gradientStep('webgpu', cfg, size);
      expect(g.leaked).toBe(0);
      expect(Math.abs(g.loss - w.loss) / Math.abs(w.loss)).toBeLessThanOrEqual(1e-5);
      expect([...g.grads.keys()]).toEqual([...w.grads.keys()]);
      // Conv biases before a batch-statistics BatchNorm have a true gradient of 0 (exactly 0 on both).
      for (const [name, ref] of w.grads)
        expect(relErr(g.grads.get(name)!, ref), name).toBeLessThanOrEqual(1e-3);
    });
  }

  it('explanations (RAM, Grad-CAM) and a checkpoint round trip on webgpu equal wasm', async () => {
    const cfg: ModelConfigInput = { backbone: 'conv4', imageSize: 20, widths: [8, 8, 8, 8], seed: 5 };
    const explain = async (backend: ConcreteBackend) => {
      await initBackend(backend);
      const model = new RCN(cfg);
      const batch = syntheticBatch(20, 3, 1, 2);
      const ram = await computeEpisodeRam(model, batch);
      const sf = model.encode(batch.support, false);
      const qf = model.encode(batch.query, false);
      const cam = await gradCamRegions(model, sf, qf, 3, 1, { query: 1, classIndex: 2, side: 'query' });
      const dir = join(tmpdir(), `rcn-webgpu-ck-${backend}-${process.pid}`);
      await saveCheckpoint(model, dir, { normalization: { mean: [0, 0, 0], std: [1, 1, 1] } });
      const loaded = await openCheckpoint(dir);
      const again = await computeEpisodeRam(loaded.model as RCN, batch);
      tf.dispose([sf, qf]);
      disposeBatch(batch);
      model.dispose();
      loaded.model.dispose();
      await rm(dir, { recursive: true, force: true });
      return { ram, cam, again };
    };
    const w = await explain('wasm');
    const g = await explain('webgpu');
    for (const key of ['probs', 'regionScores', 'regionWeights', 'similarity'] as const)
      expect(relErr(g.ram[key], w.ram[key]), key).toBeLessThanOrEqual(1e-4);
    expect(relErr(g.cam, w.cam)).toBeLessThanOrEqual(1e-3);
    expect(Array.from(g.again.probs)).toEqual(Array.from(g.ram.probs));
  });

  it('refuses more than one worker with a message that says why', () => {
    expect(() => checkWorkers(info, 2)).toThrow(/webgpu backend drives the GPU from one thread.*--workers 1/);
    expect(() => checkWorkers(info, 1)).not.toThrow();
  });

  it('auto picks webgpu only on a real GPU adapter', async () => {
    const auto = await initBackend('auto');
    if (info.adapter!.cpuFallback) {
      expect(auto.name).not.toBe('webgpu');
      expect(auto.skipped.find((s) => s.name === 'webgpu')?.reason).toMatch(/CPU fallback/);
    } else {
      expect(['tensorflow-gpu', 'webgpu']).toContain(auto.name);
    }
    await initBackend('webgpu');
  });

  it('a tensor over maxStorageBufferBindingSize throws, naming the op and the limit, instead of giving zeros', async () => {
    await initBackend('webgpu');
    const limit = info.adapter!.limits.maxStorageBufferBindingSize;
    // Enough 84x84 images that a 64-channel conv output is just over the limit (80 on lavapipe's 128 MiB).
    const n = Math.floor(limit / (84 * 84 * 64 * 4)) + 1;
    const x = tf.ones([n, 84, 84, 3]) as tf.Tensor4D;
    const w = tf.ones([3, 3, 3, 64]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    let err: unknown;
    try {
      tf.conv2d(x, w, 1, 'same').dispose();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WebGpuLimitError);
    expect((err as Error).message).toMatch(/Conv2D .*\[\d+, 84, 84, 64\].*maxStorageBufferBindingSize/);
    expect(tf.memory().numTensors).toBe(before);
    // The device is untouched: work under the limit still computes.
    const small = tf.conv2d(tf.slice(x, 0, 1), w, 1, 'same');
    expect((await small.data())[84 * 64 + 64]).toBe(27);
    tf.dispose([x, w, small]);
  });

  describe.skipIf(!requireSharedData('tiny-imagenet-32').available)('trainer', () => {
    let runs = '';
    beforeAll(async () => {
      runs = await mkdtemp(join(tmpdir(), 'rcn-webgpu-runs-'));
    });
    afterAll(async () => {
      await rm(runs, { recursive: true, force: true });
    });
    const config = (backend: 'webgpu' | 'wasm'): TrainConfig =>
      defaultTrainConfig({
        dataset: 'tiny-imagenet-32',
        dataDir: requireSharedData('tiny-imagenet-32').dir,
        model: { backbone: 'conv4', widths: [8, 8, 8, 8] },
        way: 3,
        shot: 1,
        query: 2,
        valQuery: 2,
        episodes: 3,
        valEvery: 3,
        valEpisodes: 2,
        workers: 1,
        backend,
        seed: 2,
      });

    it('a short run on webgpu trains, validates and logs the same losses as on wasm', async () => {
      const losses: Record<string, number[]> = {};
      for (const backend of ['wasm', 'webgpu'] as const) {
        const s = await train(config(backend), { runsDir: runs, runId: backend, logEvery: 1 });
        expect(s.status).toBe('finished');
        const metrics = await new RunDir(join(runs, backend)).metrics();
        losses[backend] = metrics.filter((e) => e.type === 'train').map((e) => (e as { loss: number }).loss);
        expect(metrics.some((e) => e.type === 'val')).toBe(true);
      }
      expect(losses.webgpu.length).toBe(3);
      losses.webgpu.forEach((l, i) =>
        expect(Math.abs(l - losses.wasm[i]) / losses.wasm[i]).toBeLessThan(1e-3),
      );
    });

    it('refuses --workers 2 on webgpu before training', async () => {
      await expect(
        train({ ...config('webgpu'), workers: 2 }, { runsDir: runs, runId: 'w2' }),
      ).rejects.toThrow(/webgpu backend drives the GPU from one thread/);
    });
  });

  // Last: it leaves the device in the error state on purpose.
  it('a device error that slips past the size check throws at the next op or read', async () => {
    await initBackend('webgpu');
    const t = tf.add(tf.ones([4]), 1);
    await t.data();
    const device = (tf.backend() as unknown as { device: GPUDeviceLike }).device;
    // An invalid bind group, made behind tfjs's back: Dawn reports it only as an uncaptured error.
    const layout = device.createBindGroupLayout({
      entries: [{ binding: 0, visibility: 4, buffer: { type: 'storage' } }],
    });
    const buffer = device.createBuffer({ size: 64, usage: 0x0008 /* COPY_DST only */ });
    device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer } }] });
    await expect(t.data()).rejects.toBeInstanceOf(WebGpuDeviceError);
    // Sticky: nothing computed after the error is returned.
    const x = tf.ones([1, 8, 8, 2]) as tf.Tensor4D;
    const w = tf.ones([3, 3, 2, 2]) as tf.Tensor4D;
    expect(() => tf.conv2d(x, w, 1, 'same')).toThrow(/WebGPU validation error/);
  });
});

interface GPUDeviceLike {
  createBindGroupLayout(d: object): object;
  createBuffer(d: { size: number; usage: number }): object;
  createBindGroup(d: object): object;
}
