/** Episodic evaluation on real data: serial and parallel runs agree exactly; the report is consistent. */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { openDataset, type FewShotDataset } from '../../src/data/index.js';
import { evaluateModel, formatAccuracy, meanCi95 } from '../../src/eval/index.js';
import { RCN } from '../../src/model/index.js';
import { startReplicas } from '../../src/train/index.js';
import { requireSharedData } from '@rcn/test-utils';

const data = requireSharedData('tiny-imagenet-32');

describe.skipIf(!data.available)('evaluateModel', () => {
  let ds: FewShotDataset;
  beforeAll(async () => {
    await initBackend('wasm');
    ds = await openDataset('tiny-imagenet-32', 'test', { dataDir: data.dir });
  });

  it('gives identical reports serially and over two workers, and leaks no tensors', async () => {
    const cfg = { backbone: 'conv4' as const, imageSize: 32, seed: 3 };
    const model = new RCN(cfg);
    const opts = { way: 5, shot: 1, query: 3, episodes: 8, seed: 42 };
    // The model caches its region-pooling matrix on first use; count from there.
    await evaluateModel(model, ds, { ...opts, episodes: 1 });
    const before = tf.memory().numTensors;
    const serial = await evaluateModel(model, ds, opts);
    expect(tf.memory().numTensors).toBe(before);
    const pool = await startReplicas({ workers: 2, backend: 'wasm', model: cfg });
    try {
      const parallel = await evaluateModel(model, ds, { ...opts, pool });
      expect({ ...parallel, seconds: 0 }).toEqual({ ...serial, seconds: 0 });
    } finally {
      await pool.close();
      model.dispose();
    }
    expect(serial.perEpisode).toHaveLength(8);
    const s = meanCi95(serial.perEpisode);
    expect(serial.accuracy).toBe(s.mean);
    expect(serial.ci95).toBe(s.ci95);
    // Every query lands in exactly one confusion cell; per-class totals add up to all queries.
    const cells = serial.confusion.matrix.flat().reduce((a, b) => a + b, 0);
    expect(cells).toBe(8 * 5 * 3);
    expect(serial.perClass.reduce((a, c) => a + c.total, 0)).toBe(8 * 5 * 3);
    const diag = serial.confusion.matrix.reduce((a, row, i) => a + row[i], 0);
    expect(diag / cells).toBeCloseTo(serial.accuracy, 10);
    expect(serial.confusion.classes).toHaveLength(40);
    expect(formatAccuracy(serial)).toMatch(/^\d+\.\d\d ± \d+\.\d\d % \(8 episodes, 5-way 1-shot\)$/);
  });

  it('uses the same episodes for the same seed and different ones for another', async () => {
    const model = new RCN({ backbone: 'conv4', imageSize: 32, seed: 3 });
    const a = await evaluateModel(model, ds, { way: 5, shot: 1, query: 3, episodes: 4, seed: 1 });
    const b = await evaluateModel(model, ds, { way: 5, shot: 1, query: 3, episodes: 4, seed: 1 });
    const c = await evaluateModel(model, ds, { way: 5, shot: 1, query: 3, episodes: 4, seed: 2 });
    model.dispose();
    expect(b.confusion).toEqual(a.confusion);
    expect(c.confusion).not.toEqual(a.confusion);
  });
});
