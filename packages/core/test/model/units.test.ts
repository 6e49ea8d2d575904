/**
 * Unit tests of the model's parts on tiny episodes: npy round trip, adaptive-pool bins, checkpoint round trip
 * (bit-identical predictions), reference-weight import errors, no tensor leak over forward + gradients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm, writeFile, mkdir, unlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, type BackendName } from '../../src/backend/index.js';
import { encodeNpy, parseNpy, readNpy } from '../../src/io/npy.js';
import {
  RCN,
  adaptiveBins,
  disposeOutput,
  openCheckpoint,
  loadReferenceWeights,
  saveCheckpoint,
  tfToTorch,
  type ModelConfigInput,
} from '../../src/model/index.js';
import { adaptivePoolMatrixT } from '../../src/model/methods/region-grid.js';
import { torchToTf } from '../../src/model/checkpoints/reference.js';
import { disposeBatch, syntheticBatch as tinyBatch } from '../../src/model/synthetic.js';

const BACKEND = (process.env.RCN_TEST_BACKEND ?? 'wasm') as BackendName;
let tmp = '';

beforeAll(async () => {
  await initBackend(BACKEND);
  tmp = await mkdtemp(join(tmpdir(), 'rcn-model-test-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const CONV4_TINY: ModelConfigInput = { backbone: 'conv4', imageSize: 20, widths: [8, 8, 8, 8], seed: 3 };
const RESNET_TINY: ModelConfigInput = { backbone: 'resnet12', imageSize: 16, widths: [4, 6, 8, 10], seed: 4 };

describe('npy', () => {
  it('round-trips float32 and int32 through encodeNpy / parseNpy', () => {
    const f = Float32Array.from({ length: 24 }, (_, i) => i * 0.37 - 3);
    const back = parseNpy(encodeNpy({ dtype: 'float32', shape: [2, 3, 4], data: f }));
    expect(back.dtype).toBe('float32');
    expect(back.shape).toEqual([2, 3, 4]);
    expect(Array.from(back.data as Float32Array)).toEqual(Array.from(f));
    const i32 = parseNpy(encodeNpy({ dtype: 'int32', shape: [5], data: [1, -2, 3, 4, 5] }));
    expect(Array.from(i32.data as Int32Array)).toEqual([1, -2, 3, 4, 5]);
  });

  it('reads a written .npy file with readNpy (data starts after the header)', async () => {
    const f = Float32Array.from([1.5, -2, 3.25]);
    const path = join(tmp, 'a.npy');
    await writeFile(path, encodeNpy({ dtype: 'float32', shape: [3], data: f }));
    const back = await readNpy(path);
    expect(Array.from(back.data as Float32Array)).toEqual([1.5, -2, 3.25]);
  });
});

describe('layout conversion', () => {
  it('torchToTf and tfToTorch are inverse and place [o, i, y, x] at [y, x, i, o]', () => {
    const data = Float32Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => i);
    const t = torchToTf({ shape: [2, 3, 2, 2], data });
    expect(t.shape).toEqual([2, 2, 3, 2]);
    // torch [o=1, i=2, y=1, x=0] = ((1*3+2)*2+1)*2+0 = 22 -> tf [1, 0, 2, 1] = ((1*2+0)*3+2)*2+1 = 17
    expect(t.data[17]).toBe(22);
    expect(Array.from(tfToTorch(t).data)).toEqual(Array.from(data));
  });
});

describe('adaptive average pooling', () => {
  it('follows PyTorch bins (overlapping for 19 -> 5)', () => {
    expect(adaptiveBins(19, 5)).toEqual([
      [0, 4],
      [3, 8],
      [7, 12],
      [11, 16],
      [15, 19],
    ]);
    expect(adaptiveBins(6, 5)).toEqual([
      [0, 2],
      [1, 3],
      [2, 4],
      [3, 5],
      [4, 6],
    ]);
  });

  it('the pooling matrix equals a direct loop over the bins', () => {
    for (const [h, w, g] of [
      [19, 19, 5],
      [6, 6, 5],
      [7, 4, 3],
      [2, 2, 5],
    ]) {
      const c = 3;
      const x = Float32Array.from({ length: h * w * c }, (_, i) => Math.sin(i * 1.3));
      const pT = adaptivePoolMatrixT(h, w, g);
      for (let i = 0; i < g; i++) {
        for (let j = 0; j < g; j++) {
          const y0 = Math.floor((i * h) / g);
          const y1 = Math.ceil(((i + 1) * h) / g);
          const x0 = Math.floor((j * w) / g);
          const x1 = Math.ceil(((j + 1) * w) / g);
          for (let ch = 0; ch < c; ch++) {
            let direct = 0;
            for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) direct += x[(y * w + xx) * c + ch];
            direct /= (y1 - y0) * (x1 - x0);
            let viaMatrix = 0;
            for (let p = 0; p < h * w; p++) viaMatrix += pT[p * g * g + i * g + j] * x[p * c + ch];
            expect(viaMatrix).toBeCloseTo(direct, 5);
          }
        }
      }
    }
  });
});

describe('RCN model', () => {
  it('produces probabilities and region outputs of the documented shapes (conv4 and resnet12, ablations)', () => {
    for (const cfg of [
      CONV4_TINY,
      RESNET_TINY,
      { ...CONV4_TINY, regionGrid: 'global' as const },
      { ...CONV4_TINY, regionWeighting: 'linear' as const },
      { ...RESNET_TINY, bnInference: 'running' as const },
    ]) {
      const model = new RCN(cfg);
      const batch = tinyBatch(cfg.imageSize ?? 84);
      const out = model.forward(batch, { training: false });
      const r = model.regions;
      expect(out.probs.shape).toEqual([6, 3]);
      expect(out.regionScores?.shape).toEqual([6, 6, r]);
      expect(out.regionWeights?.shape).toEqual([6, 6, r]);
      const sums = tf.tidy(() => tf.sum(out.probs, -1).dataSync());
      for (const s of sums) expect(s).toBeCloseTo(1, 5);
      disposeOutput(out);
      disposeBatch(batch);
      model.dispose();
    }
  });

  it('leaks no tensors over a forward and a gradient step', () => {
    for (const cfg of [CONV4_TINY, { ...RESNET_TINY, dropBlock: { rate: 0.1, blockSize: 2 } }]) {
      const model = new RCN(cfg);
      const batch = tinyBatch(cfg.imageSize ?? 84);
      const step = () => {
        const out = model.forward(batch, { training: false, intermediates: true });
        disposeOutput(out);
        const res = model.computeGradients(batch, { keepOutput: true });
        res.loss.dispose();
        tf.dispose([...res.grads.values()]);
        if (res.output) disposeOutput(res.output);
      };
      step(); // first call may create cached constants (pooling matrix)
      const before = tf.memory().numTensors;
      step();
      step();
      expect(tf.memory().numTensors).toBe(before);
      disposeBatch(batch);
      model.dispose();
    }
  });

  it('gives a gradient for every trainable parameter, exactly zero for conv biases before batch-stat BatchNorm', () => {
    const model = new RCN(CONV4_TINY);
    const batch = tinyBatch(20);
    const res = model.computeGradients(batch);
    expect([...res.grads.keys()].sort()).toEqual([...model.trainableVariables().keys()].sort());
    expect(Array.from(res.grads.get('encoder.layer1.0.bias')?.dataSync() ?? [1]).every((v) => v === 0)).toBe(
      true,
    );
    const gw = res.grads.get('encoder.layer1.0.weight')?.dataSync() ?? new Float32Array();
    expect(Math.max(...Array.from(gw, Math.abs))).toBeGreaterThan(0);
    res.loss.dispose();
    tf.dispose([...res.grads.values()]);
    disposeBatch(batch);
    model.dispose();
  });

  it('trains the ablations: linear region weights and one global region get gradients', () => {
    for (const cfg of [
      { ...CONV4_TINY, regionWeighting: 'linear' as const },
      { ...RESNET_TINY, regionGrid: 'global' as const },
      { ...CONV4_TINY, regionGrid: 'none' as const },
    ]) {
      const model = new RCN(cfg);
      const batch = tinyBatch(cfg.imageSize ?? 84);
      const res = model.computeGradients(batch);
      const key = cfg.regionWeighting === 'linear' ? 'head.region_weights' : 'head.meta_learner.0.weight';
      const g = res.grads.get(key)?.dataSync() ?? new Float32Array();
      expect(g.length, key).toBeGreaterThan(0);
      expect(Math.max(...Array.from(g, Math.abs)), key).toBeGreaterThan(0);
      expect(Number.isFinite(res.loss.dataSync()[0])).toBe(true);
      res.loss.dispose();
      tf.dispose([...res.grads.values()]);
      disposeBatch(batch);
      model.dispose();
    }
  });

  it('running-stat inference accounts for the conv bias skipped in batch-stat mode', () => {
    // A conv bias before BatchNorm cancels in every mode when the running statistics include it: two models
    // that differ only in those biases, after the same training pass, must infer identically with running stats.
    const batch = tinyBatch(20);
    const encodeWithBias = (bias: number) => {
      const model = new RCN({ ...CONV4_TINY, bnInference: 'running' });
      const w = model.getWeights();
      for (const [name, t] of w) if (/^encoder\.layer\d\.0\.bias$/.test(name)) t.data.fill(bias);
      model.setWeights(w);
      const out = tf.tidy(() => {
        tf.dispose(model.encode(batch.support, true)); // updates running statistics
        return model.encode(batch.query, false);
      });
      model.dispose();
      return out;
    };
    const a = encodeWithBias(0);
    const b = encodeWithBias(0.7);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
    const scale = tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]);
    expect(scale).toBeGreaterThan(0);
    expect(diff / scale).toBeLessThan(1e-5);
    tf.dispose([a, b]);
    disposeBatch(batch);
  });
});

describe('checkpoints', () => {
  it('save then load gives bit-identical predictions, config and metadata', async () => {
    for (const cfg of [CONV4_TINY, { ...RESNET_TINY, bnInference: 'running' as const }]) {
      const model = new RCN(cfg);
      const batch = tinyBatch(cfg.imageSize ?? 84);
      // One training pass so that running statistics are not at their initial values.
      const g = model.computeGradients(batch);
      g.loss.dispose();
      tf.dispose([...g.grads.values()]);
      const dir = join(tmp, `ckpt-${cfg.backbone}`);
      await saveCheckpoint(model, dir, {
        dataset: 'tiny',
        episodes: 1,
        metrics: { loss: 0.5 },
        normalization: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
      });
      expect(
        existsSync(join(dir, 'model.json')) &&
          existsSync(join(dir, 'weights.bin')) &&
          existsSync(join(dir, 'metadata.json')),
      ).toBe(true);
      const { model: loaded, metadata, method } = await openCheckpoint(dir);
      expect(method).toBe('rcn');
      expect(metadata.model).toEqual(model.config);
      expect(metadata.episodes).toBe(1);
      const a = model.forward(batch, { training: false });
      const b = loaded.forward(batch, { training: false });
      expect(Array.from(b.probs.dataSync())).toEqual(Array.from(a.probs.dataSync()));
      disposeOutput(a);
      disposeOutput(b);
      disposeBatch(batch);
      model.dispose();
      loaded.dispose();
    }
  });

  it('rejects a truncated weights file with a clear error', async () => {
    const model = new RCN(CONV4_TINY);
    const dir = join(tmp, 'ckpt-trunc');
    await saveCheckpoint(model, dir, { normalization: { mean: [0, 0, 0], std: [1, 1, 1] } });
    const { readFile } = await import('node:fs/promises');
    const bin = await readFile(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'weights.bin'), bin.subarray(0, bin.length - 8));
    await expect(openCheckpoint(dir)).rejects.toThrow(/truncated/);
    model.dispose();
  });
});

describe('reference weight import', () => {
  async function writeReference(model: RCN, dir: string): Promise<void> {
    await mkdir(join(dir, 'weights'), { recursive: true });
    await mkdir(join(dir, 'buffers'), { recursive: true });
    const trainable = new Set(model.trainableVariables().keys());
    for (const [name, t] of model.getWeights()) {
      const torch = tfToTorch(t);
      await writeFile(
        join(dir, trainable.has(name) ? 'weights' : 'buffers', `${name}.npy`),
        encodeNpy({ dtype: 'float32', shape: torch.shape, data: torch.data }),
      );
    }
  }

  it('imports PyTorch-layout weights and buffers exactly', async () => {
    const src = new RCN({ ...CONV4_TINY, seed: 11 });
    const dir = join(tmp, 'ref-ok');
    await writeReference(src, dir);
    const dst = new RCN({ ...CONV4_TINY, seed: 12 });
    await loadReferenceWeights(dst, dir);
    const a = src.getWeights();
    for (const [name, t] of dst.getWeights())
      expect(Array.from(t.data), name).toEqual(Array.from(a.get(name)?.data ?? []));
    src.dispose();
    dst.dispose();
  });

  it('names the missing file, the mismatched shape and the unknown tensor', async () => {
    const src = new RCN(CONV4_TINY);
    const dir = join(tmp, 'ref-bad');
    await writeReference(src, dir);
    await unlink(join(dir, 'weights', 'encoder.layer2.0.weight.npy'));
    await writeFile(
      join(dir, 'weights', 'encoder.layer3.1.weight.npy'),
      encodeNpy({ dtype: 'float32', shape: [7], data: new Float32Array(7) }),
    );
    await writeFile(
      join(dir, 'weights', 'encoder.layer9.0.weight.npy'),
      encodeNpy({ dtype: 'float32', shape: [1], data: new Float32Array(1) }),
    );
    const dst = new RCN(CONV4_TINY);
    const err = await loadReferenceWeights(dst, dir).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/encoder\.layer2\.0\.weight\.npy: missing .*\[8, 8, 3, 3\]/);
    expect(err?.message).toMatch(/encoder\.layer3\.1\.weight\.npy: shape \[7\] does not match .*\[8\]/);
    expect(err?.message).toMatch(/encoder\.layer9\.0\.weight\.npy: no model parameter/);
    await expect(loadReferenceWeights(dst, join(tmp, 'nowhere'))).rejects.toThrow(
      /nowhere.*weights: no such folder/,
    );
    src.dispose();
    dst.dispose();
  });
});
