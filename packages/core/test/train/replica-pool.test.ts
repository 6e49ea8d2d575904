/**
 * Data-parallel gradients over worker threads equal the single-process ones: with one worker exactly
 * (bit for bit), with two workers the average of the two episodes' gradients. Real tiny-imagenet-32 episodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { averageWeightMaps } from '../../src/backend/weight-map.js';
import { openDataset } from '../../src/data/index.js';
import {
  arraysToBatch,
  buildEpisodeArrays,
  sampleEpisode,
  type EpisodeArrays,
} from '../../src/episodes/index.js';
import { RCN } from '../../src/model/index.js';
import { startReplicas } from '../../src/train/index.js';
import { tensorsToWeightMap, weightMapBuffers } from '../../src/train/weights.js';
import { requireSharedData } from '@rcn/test-utils';

const data = requireSharedData('tiny-imagenet-32');
const modelConfig = { backbone: 'conv4' as const, imageSize: 32, seed: 7 };

async function episodes(n: number): Promise<EpisodeArrays[]> {
  const ds = await openDataset('tiny-imagenet-32', 'train', { dataDir: data.dir });
  const out: EpisodeArrays[] = [];
  for (let i = 0; i < n; i++) {
    const ep = sampleEpisode(ds, {
      dataset: 'tiny-imagenet-32',
      split: 'train',
      way: 5,
      shot: 1,
      query: 3,
      seed: 11,
      index: i,
    });
    out.push(await buildEpisodeArrays(ds, ep));
  }
  return out;
}

function localGradients(model: RCN, batch: EpisodeArrays) {
  const b = arraysToBatch(batch);
  const r = model.computeGradients(b);
  const result = {
    loss: r.loss.dataSync()[0],
    grads: tensorsToWeightMap(r.grads),
    buffers: weightMapBuffers(model),
  };
  r.loss.dispose();
  tf.dispose([...r.grads.values()]);
  b.dispose();
  return result;
}

describe.skipIf(!data.available)('ReplicaPool (worker threads, one wasm instance each)', () => {
  let batches: EpisodeArrays[];
  let model: RCN;

  beforeAll(async () => {
    await initBackend('wasm');
    batches = await episodes(2);
    model = new RCN(modelConfig);
  });
  afterAll(() => model?.dispose());

  it('with one worker, gives exactly the single-process gradients and running statistics', async () => {
    const weights = model.getWeights();
    const pool = await startReplicas({ workers: 1, backend: 'wasm', model: modelConfig });
    try {
      const par = await pool.gradients(weights, [batches[0]]);
      model.setWeights(weights);
      const local = localGradients(model, batches[0]);
      expect(par.loss).toBe(local.loss);
      expect([...par.grads.keys()].sort()).toEqual([...local.grads.keys()].sort());
      for (const [name, g] of local.grads) expect(par.grads.get(name)!.data, name).toEqual(g.data);
      for (const [name, b] of local.buffers) expect(par.buffers.get(name)!.data, name).toEqual(b.data);
    } finally {
      await pool.close();
    }
  });

  it('with two workers, averages the gradients of one episode each, and predicts like the main thread', async () => {
    const weights = model.getWeights();
    const pool = await startReplicas({ workers: 2, backend: 'wasm', model: modelConfig });
    try {
      const par = await pool.gradients(weights, batches);
      const locals = batches.map((b) => {
        model.setWeights(weights);
        return localGradients(model, b);
      });
      expect(par.losses).toEqual(locals.map((l) => l.loss));
      const mean = averageWeightMaps(locals.map((l) => l.grads));
      let nonZero = 0;
      for (const [name, g] of mean) {
        expect(par.grads.get(name)!.data, name).toEqual(g.data);
        if (g.data.some((v) => v !== 0)) nonZero++;
      }
      expect(nonZero).toBeGreaterThan(10);

      model.setWeights(weights);
      await pool.setWeights(weights);
      const probs = await pool.predict(batches);
      batches.forEach((batch, i) => {
        const b = arraysToBatch(batch);
        const out = model.forward(b, { training: false });
        expect(probs[i]).toEqual(out.probs.dataSync());
        tf.dispose(Object.values(out) as tf.Tensor[]);
        b.dispose();
      });
    } finally {
      await pool.close();
    }
  });

  it('reports a task error from a worker with its message, and keeps serving', async () => {
    const pool = await startReplicas({ workers: 1, backend: 'wasm', model: modelConfig });
    try {
      const bad = { ...batches[0], way: 4 };
      await expect(pool.gradients(model.getWeights(), [bad])).rejects.toThrow();
      const ok = await pool.gradients(model.getWeights(), [batches[0]]);
      expect(Number.isFinite(ok.loss)).toBe(true);
    } finally {
      await pool.close();
    }
  });
});

describe('replica pool start-up', () => {
  it('stops starting its workers when the signal aborts (a SIGTERM during start-up)', async () => {
    const ac = new AbortController();
    const started = startReplicas({
      workers: 2,
      backend: 'wasm',
      model: modelConfig,
      signal: ac.signal,
    });
    // The workers are still loading their backend and building their replica.
    setTimeout(() => ac.abort(), 20);
    await expect(started).rejects.toThrow(/worker start-up interrupted/);
    // Already aborted: no worker is started at all.
    await expect(
      startReplicas({ workers: 2, backend: 'wasm', model: modelConfig, signal: ac.signal }),
    ).rejects.toThrow();
  });
});
