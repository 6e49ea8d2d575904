/**
 * The baselines of issue 5 (Prototypical Networks, Relation Network) in RCN's harness: output shapes and
 * probabilities, the loss against a direct computation, gradients (hand-scheduled backbone + autodiff head)
 * against a whole-model TF.js autodiff reference and a finite difference, BatchNorm running statistics,
 * training on a real episode, checkpoint round trip, no tensor leak, and the trainer end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, type BackendName } from '../../src/backend/index.js';
import { openDataset } from '../../src/data/index.js';
import { buildEpisodeArrays, sampleEpisode } from '../../src/episodes/index.js';
import {
  disposeOutput,
  openCheckpoint,
  readCheckpoint,
  type EpisodeBatch,
  type FewShotModel,
  type ModelConfigInput,
} from '../../src/model/index.js';
import { Adam } from '../../src/train/adam.js';
import { defaultTrainConfig, train } from '../../src/train/index.js';
import { createModel } from '../../src/model/methods/create.js';
import type { Method } from '../../src/train/types.js';
import { tasks } from '../../src/train/replica-tasks.js';
import { arraysToBatch } from '../../src/episodes/tensors.js';
import { requireSharedData } from '@rcn/test-utils';
import { disposeBatch, syntheticBatch as tinyBatch } from '../../src/model/synthetic.js';

const BACKEND = (process.env.RCN_TEST_BACKEND ?? 'wasm') as BackendName;
const data = requireSharedData('tiny-imagenet-32');
const METHODS = ['protonet', 'relationnet'] as const;

// Feature maps 3x3 (Conv4 at 20 px: the relation module pools once, then skips) and 1x1 (ResNet-12 at 16 px).
const CONV4_TINY: ModelConfigInput = { backbone: 'conv4', imageSize: 20, widths: [8, 8, 8, 8], seed: 3 };
const RESNET_TINY: ModelConfigInput = { backbone: 'resnet12', imageSize: 16, widths: [4, 6, 8, 10], seed: 4 };
const TINY = [
  ['conv4', CONV4_TINY],
  ['resnet12', RESNET_TINY],
] as const;

let tmp = '';
beforeAll(async () => {
  await initBackend(BACKEND);
  tmp = await mkdtemp(join(tmpdir(), 'rcn-baselines-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function rows(t: tf.Tensor2D): number[][] {
  return t.arraySync();
}

/** Loss of a forward pass normalised with batch statistics, without touching the running statistics. */
function evalLoss(model: FewShotModel, batch: EpisodeBatch): number {
  return tf.tidy(() => {
    const out = model.forward(batch, { training: false });
    const l = model.loss(out, batch).dataSync()[0];
    disposeOutput(out);
    return l;
  });
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

describe.each(METHODS)('%s', (method) => {
  describe.each(TINY)('on %s', (_name, cfg) => {
    it("gives [Q, N] class scores and probabilities that sum to 1; the loss is the paper's", () => {
      const model = createModel(method, cfg);
      const batch = tinyBatch(cfg.imageSize ?? 84, 3, 2, 2);
      const out = model.forward(batch, { training: false });
      expect(out.probs.shape).toEqual([6, 3]);
      expect(out.classScores.shape).toEqual([6, 3]);
      const probs = rows(out.probs);
      const scores = rows(out.classScores);
      for (const r of probs) {
        expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        for (const p of r) expect(p >= 0 && p <= 1).toBe(true);
      }
      const labels = [0, 0, 1, 1, 2, 2];
      let direct: number;
      if (method === 'protonet') {
        // Scores are negative squared distances (<= 0); cross-entropy of their softmax.
        for (const r of scores) for (const s of r) expect(s).toBeLessThanOrEqual(1e-3);
        direct =
          scores.reduce((acc, r, i) => {
            const m = Math.max(...r);
            const lse = m + Math.log(r.reduce((a, s) => a + Math.exp(s - m), 0));
            return acc + lse - r[labels[i]];
          }, 0) / scores.length;
      } else {
        // Relation scores in (0, 1); probs are them normalised; MSE against one-hot.
        scores.forEach((r, i) => {
          const sum = r.reduce((a, b) => a + b, 0);
          r.forEach((s, j) => {
            expect(s > 0 && s < 1).toBe(true);
            expect(probs[i][j]).toBeCloseTo(s / sum, 5);
          });
        });
        direct =
          scores.reduce(
            (acc, r, i) => acc + r.reduce((a, s, j) => a + (s - (j === labels[i] ? 1 : 0)) ** 2, 0),
            0,
          ) /
          (scores.length * 3);
      }
      const loss = model.loss(out, batch);
      expect(loss.dataSync()[0]).toBeCloseTo(direct, 5);
      loss.dispose();
      disposeOutput(out);
      disposeBatch(batch);
      model.dispose();
    });

    it('computes gradients equal to whole-model autodiff and to a finite difference', () => {
      const model = createModel(method, cfg);
      const batch = tinyBatch(cfg.imageSize ?? 84, 3, 2, 2);
      const params = [...model.trainableVariables()];
      expect(params.some(([n]) => n.startsWith('encoder.'))).toBe(true);
      expect(params.every(([n]) => n.startsWith('encoder.') || n.startsWith('head.'))).toBe(true);
      if (method === 'relationnet') expect(params.some(([n]) => n.startsWith('head.'))).toBe(true);

      const res = model.computeGradients(batch, { keepOutput: true });
      expect([...res.grads.keys()].sort()).toEqual(params.map(([n]) => n).sort());
      for (const [name, g] of res.grads) expect(g.dataSync().every(Number.isFinite), name).toBe(true);
      const loss = res.loss.dataSync()[0];
      expect(evalLoss(model, batch)).toBeCloseTo(loss, 5);

      // Reference: TF.js autodiff through the whole model (backbone.apply is plain ops), same function.
      const ref = tf.engine().gradients(
        () => {
          const out = model.forward(batch, { training: false });
          return model.loss(out, batch);
        },
        params.map(([, v]) => v),
        undefined,
        true,
      );
      expect(ref.value.dataSync()[0]).toBeCloseTo(loss, 5);
      params.forEach(([name], i) => {
        const mine = res.grads.get(name)!.dataSync();
        const theirs = ref.grads[i]?.dataSync() ?? new Float32Array(mine.length);
        const scale = Math.max(maxAbs(theirs), 1e-6);
        let err = 0;
        for (let j = 0; j < mine.length; j++) err = Math.max(err, Math.abs(mine[j] - theirs[j]));
        expect(err / scale, name).toBeLessThan(2e-3);
      });
      tf.dispose([ref.value, ...ref.grads.filter((g): g is tf.Tensor => !!g)]);

      // Central difference along the normalised gradient of a backbone and (RelationNet) a head parameter:
      // (L(p + e d) - L(p - e d)) / 2e = |g|.
      const probe = [
        'encoder.layer1.0.weight',
        method === 'relationnet' ? 'head.fc1.weight' : 'encoder.layer1.1.weight',
      ];
      const names = params.map(([n]) => n);
      for (const name of probe.filter((n) => names.includes(n))) {
        const v = model.trainableVariables().get(name)!;
        const g = res.grads.get(name)!;
        const norm = tf.tidy(() => tf.norm(g).dataSync()[0]);
        expect(norm, name).toBeGreaterThan(0);
        const orig = tf.clone(v);
        const eps = 1e-2;
        const at = (s: number) => {
          tf.tidy(() => v.assign(tf.add(orig, tf.mul(g, (s * eps) / norm))));
          return evalLoss(model, batch);
        };
        const fd = (at(1) - at(-1)) / (2 * eps);
        v.assign(orig);
        orig.dispose();
        expect(Math.abs(fd - norm) / norm, `${name}: fd ${fd} vs |g| ${norm}`).toBeLessThan(0.05);
      }
      res.loss.dispose();
      tf.dispose([...res.grads.values()]);
      disposeOutput(res.output!);
      disposeBatch(batch);
      model.dispose();
    });

    it('updates BatchNorm running statistics in a gradient step and uses them with bnInference running', () => {
      const model = createModel(method, { ...cfg, bnInference: 'running' });
      const batch = tinyBatch(cfg.imageSize ?? 84);
      const before = model.getWeights();
      const res = model.computeGradients(batch);
      const after = model.getWeights();
      const changed = [...before.keys()].filter(
        (n) =>
          n.endsWith('.running_mean') && !before.get(n)!.data.every((x, i) => x === after.get(n)!.data[i]),
      );
      expect(changed.some((n) => n.startsWith('encoder.'))).toBe(true);
      if (method === 'relationnet') expect(changed.some((n) => n.startsWith('head.'))).toBe(true);
      const out = model.forward(batch, { training: false });
      expect(out.probs.dataSync().every(Number.isFinite)).toBe(true);
      disposeOutput(out);
      res.loss.dispose();
      tf.dispose([...res.grads.values()]);
      disposeBatch(batch);
      model.dispose();
    });

    it('round-trips getWeights / setWeights to identical probabilities, and leaks no tensors', () => {
      const a = createModel(method, cfg);
      const batch = tinyBatch(cfg.imageSize ?? 84);
      // A step first, so that the running statistics are not their initial values.
      const r0 = a.computeGradients(batch);
      r0.loss.dispose();
      tf.dispose([...r0.grads.values()]);
      const b = createModel(method, { ...cfg, seed: 99, bnInference: 'running' });
      const c = createModel(method, { ...cfg, bnInference: 'running' });
      c.setWeights(a.getWeights());
      b.setWeights(a.getWeights());
      const pb = b.forward(batch, { training: false });
      const pc = c.forward(batch, { training: false });
      expect(Array.from(pb.probs.dataSync())).toEqual(Array.from(pc.probs.dataSync()));
      disposeOutput(pb);
      disposeOutput(pc);
      b.dispose();
      c.dispose();

      const step = () => {
        const res = a.computeGradients(batch, { intermediates: true });
        res.loss.dispose();
        tf.dispose([...res.grads.values()]);
        disposeOutput(res.output!);
        disposeOutput(a.forward(batch, { training: false, intermediates: true }));
      };
      step();
      const before = tf.memory().numTensors;
      step();
      step();
      expect(tf.memory().numTensors).toBe(before);
      disposeBatch(batch);
      a.dispose();
    });
  });
});

describe('relationnet on every feature-map size', () => {
  // Conv4 maps 5x5 (Omniglot 28 px), 6x6 (32 px), 19x19 (84 px): the relation module pools twice, once, or
  // twice and averages the 4x4 left; its parameters do not depend on the size.
  it.each([28, 32, 84])('at %i px', (size) => {
    const model = createModel('relationnet', {
      backbone: 'conv4',
      imageSize: size,
      widths: [8, 8, 8, 8],
      seed: 2,
    });
    const batch = tinyBatch(size, 2, 1, 1);
    const out = model.forward(batch, { training: true });
    expect(out.probs.shape).toEqual([2, 2]);
    expect(out.probs.dataSync().every(Number.isFinite)).toBe(true);
    expect(model.trainableVariables().get('head.fc1.weight')!.shape).toEqual([64, 8]);
    disposeOutput(out);
    disposeBatch(batch);
    model.dispose();
  });
});

describe.skipIf(!data.available)('baselines on tiny-imagenet-32', () => {
  it.each(METHODS)('%s: a few Adam steps on a real 5-way 1-shot episode lower its loss', async (method) => {
    const ds = await openDataset('tiny-imagenet-32', 'train', { dataDir: data.dir });
    const ep = sampleEpisode(ds, {
      dataset: 'tiny-imagenet-32',
      split: 'train',
      way: 5,
      shot: 1,
      query: 3,
      seed: 7,
      index: 0,
    });
    const batch = arraysToBatch(await buildEpisodeArrays(ds, ep, { augmentQueries: false }));
    const model = createModel(method, { backbone: 'conv4', imageSize: 32, seed: 1 });
    const adam = new Adam({ lr: 1e-3 });
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = model.computeGradients(batch);
      losses.push(res.loss.dataSync()[0]);
      adam.apply(model.trainableVariables(), res.grads);
      res.loss.dispose();
      tf.dispose([...res.grads.values()]);
    }
    const last = evalLoss(model, batch);
    expect(losses.every(Number.isFinite)).toBe(true);
    // ProtoNet's initial squared distances are large (cross-entropy ~170 here) and fall fast, not monotonically;
    // RelationNet starts with every score near sigmoid(1) (FC biases 1, as the reference) and descends slowly.
    const target = losses[0] * (method === 'protonet' ? 0.9 : 0.97);
    expect(last, `losses ${losses.join(', ')} -> ${last}`).toBeLessThan(target);
    adam.dispose();
    model.dispose();
    batch.dispose();
  });

  it.each(METHODS)(
    '%s: a worker replica built with the method gives the same step',
    async (method: Method) => {
      const ds = await openDataset('tiny-imagenet-32', 'train', { dataDir: data.dir });
      const ep = sampleEpisode(ds, {
        dataset: 'tiny-imagenet-32',
        split: 'train',
        way: 5,
        shot: 1,
        query: 2,
        seed: 8,
        index: 0,
      });
      const arrays = await buildEpisodeArrays(ds, ep, { augmentQueries: false });
      const cfg: ModelConfigInput = { backbone: 'conv4', imageSize: 32, seed: 2 };
      const model = createModel(method, cfg);
      const batch = arraysToBatch(arrays);
      const local = model.computeGradients(batch);
      const init = tasks['replica.init']({ ...cfg, method });
      expect(init).toEqual(model.config);
      const reply = tasks['replica.gradients']({ weights: model.getWeights(), batch: arrays });
      const remote = reply.value;
      expect(remote.loss).toBeCloseTo(local.loss.dataSync()[0], 5);
      expect([...remote.grads.keys()].sort()).toEqual([...local.grads.keys()].sort());
      local.loss.dispose();
      tf.dispose([...local.grads.values()]);
      batch.dispose();
      model.dispose();
    },
  );

  it.each(METHODS)('%s: the trainer runs end to end and records the method', async (method: Method) => {
    const config = defaultTrainConfig({
      method,
      dataset: 'tiny-imagenet-32',
      dataDir: data.dir,
      model: { backbone: 'conv4' },
      way: 5,
      shot: 1,
      query: 2,
      valQuery: 2,
      episodes: 3,
      valEvery: 3,
      valEpisodes: 2,
      workers: 1,
      backend: BACKEND,
      seed: 5,
    });
    const s = await train(config, { runsDir: tmp, runId: `run-${method}` });
    expect(s.status).toBe('finished');
    expect(s.episode).toBe(3);
    const ck = await readCheckpoint(join(tmp, `run-${method}`, 'checkpoints', 'latest'));
    expect(ck.metadata.method).toBe(method);
    const model = createModel(method, ck.metadata.model);
    model.setWeights(ck.weights);
    model.dispose();
    // The one loader: a run reference gives the model of the method, its geometry and normalisation.
    const opened = await openCheckpoint(`run-${method}/latest`, { runsDir: tmp });
    try {
      expect(opened.method).toBe(method);
      expect(opened.model.method).toBe(method);
      expect(opened.name).toBe('latest');
      expect(opened.runDir).toBe(join(tmp, `run-${method}`));
      expect(opened.geometry === null).toBe(method !== 'rcn');
      expect(opened.normalization).toEqual(opened.input.normalization);
      expect(opened.normalization.mean).toEqual(ck.metadata.normalization?.mean);
    } finally {
      opened.dispose();
    }
  });
});
