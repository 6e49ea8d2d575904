/**
 * `openCheckpoint` and the `Predictor`: every method opens as its own model from any kind of reference
 * (old metadata too); the Predictor's numbers are the model's forward pass (probabilities, class scores),
 * each support's sum_k w_k r_k averages over the shots to the class score, no tensor leaks, and every
 * failure carries a code. Small checkpoints in the real on-disk format, written into a temp dir.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { syntheticEpisodeArrays, type EpisodeArrays } from '../../src/episodes/index.js';
import { Explainer } from '../../src/explain/index.js';
import {
  createModel,
  disposeOutput,
  openCheckpoint,
  ProtoNet,
  RCN,
  RelationNet,
  saveCheckpoint,
  type Method,
  type ModelConfigInput,
} from '../../src/model/index.js';
import { Predictor } from '../../src/predict/index.js';
import { PredictorError } from '../../src/predict/episode-prediction.js';
import { Rng } from '../../src/util/rng.js';

const CFG: ModelConfigInput = {
  backbone: 'conv4',
  widths: [8, 8, 8, 8],
  imageSize: 28,
  seed: 3,
  regionGrid: 3,
};
const NORM = { mean: [0.4, 0.5, 0.6], std: [0.2, 0.3, 0.25] };
const SIZE = 28;

let root = '';

/** A run folder `<root>/runs/<id>` holding a `best` checkpoint of `method`. */
async function saveRun(method: Method, id: string = method): Promise<string> {
  const run = join(root, 'runs', id);
  mkdirSync(join(run, 'checkpoints'), { recursive: true });
  writeFileSync(join(run, 'config.json'), JSON.stringify({ method, dataset: 'nope' }));
  const model = createModel(method, CFG);
  try {
    await saveCheckpoint(model, join(run, 'checkpoints', 'best'), { normalization: NORM, dataset: 'nope' });
  } finally {
    model.dispose();
  }
  return run;
}

function arrays(way: number, shot: number, query: number, seed: number): EpisodeArrays {
  const rng = Rng.fromKeys(seed);
  return syntheticEpisodeArrays({ way, shot, query, size: SIZE }, () => rng.uniform(-1, 1));
}

beforeAll(async () => {
  await initBackend('wasm');
  root = mkdtempSync(join(tmpdir(), 'rcn-predictor-'));
  for (const m of ['rcn', 'protonet', 'relationnet'] as const) await saveRun(m);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('openCheckpoint', () => {
  it('opens each method as its own model from a checkpoint folder, a run folder or <runId>/<name>', async () => {
    const runsDir = join(root, 'runs');
    const classes = { rcn: RCN, protonet: ProtoNet, relationnet: RelationNet };
    for (const m of ['rcn', 'protonet', 'relationnet'] as const) {
      for (const ref of [join(runsDir, m, 'checkpoints', 'best'), join(runsDir, m), `${m}/best`, m]) {
        const ck = await openCheckpoint(ref, { runsDir });
        try {
          expect(ck.method).toBe(m);
          expect(ck.model).toBeInstanceOf(classes[m]);
          expect(ck.dir).toBe(join(runsDir, m, 'checkpoints', 'best'));
          expect(ck.runDir).toBe(join(runsDir, m));
          expect(ck.name).toBe('best');
          expect(ck.dataset).toBe('nope');
          expect(ck.normalization).toEqual(NORM);
          expect(ck.input).toMatchObject({ size: SIZE, channels: 3, normalization: NORM });
          expect(ck.geometry?.gridH ?? null).toBe(m === 'rcn' ? 3 : null);
        } finally {
          ck.dispose();
        }
      }
    }
  });

  it('opens ResNet-12 checkpoints of each method with their own config and geometry', async () => {
    const cfg: ModelConfigInput = { backbone: 'resnet12', imageSize: 16, widths: [4, 6, 8, 10], seed: 4 };
    for (const m of ['rcn', 'protonet', 'relationnet'] as const) {
      const dir = join(root, 'resnet', m);
      const model = createModel(m, cfg);
      await saveCheckpoint(model, dir, { normalization: NORM });
      const before = model.getWeights();
      model.dispose();
      const ck = await openCheckpoint(dir);
      try {
        expect(ck.method).toBe(m);
        expect(ck.model.config).toMatchObject({ backbone: 'resnet12', imageSize: 16, widths: [4, 6, 8, 10] });
        expect(ck.runDir).toBeNull();
        expect(ck.dataset).toBeNull();
        // ResNet-12 on 16 px: four pools leave a 1x1 map; the RCN's regions are its cells.
        expect(ck.geometry ? [ck.geometry.gridH, ck.geometry.gridW] : null).toEqual(
          m === 'rcn' ? [1, 1] : null,
        );
        const after = ck.model.getWeights();
        expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
        for (const [k, t] of before) expect(after.get(k)!.data).toEqual(t.data);
      } finally {
        ck.dispose();
      }
    }
  });

  it("loads version-1 metadata (architecture 'rcn', the method in extra.method) and the .old twin", async () => {
    const run = await saveRun('protonet', 'legacy');
    const best = join(run, 'checkpoints', 'best');
    const meta = JSON.parse(readFileSync(join(best, 'metadata.json'), 'utf8')) as Record<string, unknown>;
    delete meta.method;
    writeFileSync(
      join(best, 'metadata.json'),
      JSON.stringify({ ...meta, version: 1, architecture: 'rcn', extra: { method: 'protonet' } }),
    );
    // A crash between the trainer's two renames leaves only `best.old`.
    renameSync(best, `${best}.old`);
    const ck = await openCheckpoint(run);
    try {
      expect(ck.method).toBe('protonet');
      expect(ck.model).toBeInstanceOf(ProtoNet);
      expect(ck.dir).toBe(`${best}.old`);
      expect(ck.name).toBe('best');
    } finally {
      ck.dispose();
    }
  });
});

describe('Predictor', () => {
  it("RCN: the model's forward numbers; sum_k w_k r_k per support averages to the class score", async () => {
    const p = await Predictor.open(join(root, 'runs', 'rcn'));
    try {
      const a = arrays(3, 2, 2, 11);
      await p.predictArrays(a); // builds cached region poolers
      const before = tf.memory().numTensors;
      const r = await p.predictArrays(a);
      expect(tf.memory().numTensors).toBe(before);
      const support = tf.tensor4d(a.support, [6, SIZE, SIZE, 3]);
      const query = tf.tensor4d(a.queries, [6, SIZE, SIZE, 3]);
      const ref = p.checkpoint.model.forward({ support, query, way: 3, shot: 2 }, { training: false });
      const probs = Array.from(await ref.probs.data());
      const scores = Array.from(await ref.classScores.data());
      disposeOutput(ref);
      tf.dispose([support, query]);
      expect(r).toMatchObject({ method: 'rcn', way: 3, shot: 2, regions: 9 });
      expect(r.geometry?.gridH).toBe(3);
      expect(r.queries).toHaveLength(6);
      for (const q of r.queries) {
        expect(q.probabilities).toEqual(probs.slice(q.index * 3, q.index * 3 + 3));
        expect(q.classScores).toEqual(scores.slice(q.index * 3, q.index * 3 + 3));
        expect(q.probabilities[q.predicted]).toBe(Math.max(...q.probabilities));
        expect(q.supports).toHaveLength(6);
        for (const s of q.supports) {
          expect(s.label).toBe(Math.floor(s.index / 2));
          expect(s.regionScores).toHaveLength(9);
          s.contributions.forEach((c, k) => expect(c).toBeCloseTo(s.regionScores[k] * s.regionWeights[k], 6));
          expect(s.score).toBeCloseTo(
            s.contributions.reduce((x, y) => x + y, 0),
            6,
          );
        }
        for (let c = 0; c < 3; c++) {
          const shots = q.supports.filter((s) => s.label === c);
          const mean = shots.reduce((x, s) => x + s.score, 0) / shots.length;
          expect(mean).toBeCloseTo(q.classScores[c], 4);
        }
      }
    } finally {
      p.dispose();
    }
  });

  it.each(['protonet', 'relationnet'] as const)("%s: the model's probabilities, no regions", async (m) => {
    const p = await Predictor.open(`${m}/best`, { runsDir: join(root, 'runs') });
    try {
      const a = arrays(2, 1, 3, 5);
      const r = await p.predictArrays(a);
      const ref = p.checkpoint.model.forward(
        {
          support: tf.tensor4d(a.support, [2, SIZE, SIZE, 3]),
          query: tf.tensor4d(a.queries, [6, SIZE, SIZE, 3]),
          way: 2,
          shot: 1,
        },
        { training: false },
      );
      const probs = Array.from(await ref.probs.data());
      disposeOutput(ref);
      expect(r).toMatchObject({ method: m, regions: 0, geometry: null });
      for (const q of r.queries) {
        expect(q.probabilities).toEqual(probs.slice(q.index * 2, q.index * 2 + 2));
        expect(q.supports).toEqual([]);
      }
    } finally {
      p.dispose();
    }
  });

  it('fails with typed codes', async () => {
    const code = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        return [(e as PredictorError).code, e instanceof PredictorError];
      }
      return ['no error', false];
    };
    expect(await code(() => Predictor.open(join(root, 'missing')))).toEqual(['CHECKPOINT_NOT_FOUND', true]);
    const bad = await saveRun('rcn', 'bad');
    writeFileSync(join(bad, 'checkpoints', 'best', 'metadata.json'), '{ not json');
    expect(await code(() => Predictor.open(bad))).toEqual(['CHECKPOINT_INVALID', true]);
    const unnormalised = await saveRun('rcn', 'unnormalised');
    const metaPath = join(unnormalised, 'checkpoints', 'best', 'metadata.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
    delete meta.normalisation;
    writeFileSync(metaPath, JSON.stringify(meta));
    expect(await code(() => Predictor.open(unnormalised))).toEqual(['CHECKPOINT_INVALID', true]);

    const p = await Predictor.open(join(root, 'runs', 'rcn'));
    try {
      const a = arrays(2, 1, 1, 1);
      expect(await code(() => p.predictArrays({ ...a, queries: a.queries.subarray(1) }))).toEqual([
        'BAD_INPUT',
        true,
      ]);
      expect(await code(() => p.predictArrays({ ...a, height: 32, width: 32 }))).toEqual(['BAD_INPUT', true]);
      const spec = { split: 'test', way: 2, shot: 1, query: 1, seed: 0, index: 0 };
      expect(await code(() => p.episode(spec))).toEqual(['BAD_EPISODE', true]); // dataset 'nope'
    } finally {
      p.dispose();
    }
    // Region explanations of a baseline: coded too (the API answers NOT_AVAILABLE by this code).
    await expect(Explainer.open(join(root, 'runs', 'protonet'))).rejects.toMatchObject({
      code: 'NOT_AN_RCN',
    });
  });
});
