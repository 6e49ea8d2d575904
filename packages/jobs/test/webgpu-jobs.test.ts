/**
 * The API's work on webgpu (lavapipe on CI, small shapes): the job runner's training job (train, then
 * evaluate its checkpoint) and evaluation job, and faithfulness curves, each equal to wasm's on real data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultTrainConfig,
  initBackend,
  measureFaithfulness,
  openCheckpoint,
  openDataset,
  RCN,
  resolveCheckpointDir,
  RunDir,
} from '@rcn/core';
import { requireSharedData, webGpuMissing } from '@rcn/test-utils';
import { runJob, type JobOutcome } from '../src/index.js';

type ConcreteBackend = 'wasm' | 'webgpu';
type FaithfulnessReport = Awaited<ReturnType<typeof measureFaithfulness>>;

const missing = await webGpuMissing(() => initBackend('webgpu'));
const data = requireSharedData('tiny-imagenet-32');

const EVAL = { dataset: 'tiny-imagenet-32', split: 'test', way: 3, shot: 1, query: 2, episodes: 3, seed: 5 };

describe.skipIf(missing !== null || !data.available)('webgpu: jobs and faithfulness', () => {
  let runs = '';
  let wasmAccuracy = NaN;
  beforeAll(async () => {
    runs = await mkdtemp(join(tmpdir(), 'rcn-webgpu-jobs-'));
  });
  afterAll(async () => {
    await rm(runs, { recursive: true, force: true });
  });

  const trainJob = (backend: ConcreteBackend) =>
    runJob({
      kind: 'train',
      runsDir: runs,
      runId: backend,
      resume: false,
      config: defaultTrainConfig({
        dataset: 'tiny-imagenet-32',
        dataDir: data.dir,
        model: { backbone: 'conv4', widths: [8, 8, 8, 8] },
        way: 3,
        shot: 1,
        query: 2,
        valQuery: 2,
        episodes: 2,
        valEvery: 2,
        valEpisodes: 1,
        workers: 1,
        backend,
        seed: 3,
      }),
      evaluate: { ...EVAL, checkpoint: 'latest' },
    });

  const evaluation = (o: JobOutcome) => {
    expect(o.status).toBe('finished');
    if (o.result?.kind !== 'train' || !o.result.evaluation) throw new Error('no evaluation in the outcome');
    return o.result.evaluation;
  };

  const losses = async (runId: string) =>
    (await new RunDir(join(runs, runId)).metrics())
      .filter((e) => e.type === 'train')
      .map((e) => (e as { loss: number }).loss);

  it('a training job (train, then evaluate) on webgpu equals the same job on wasm', async () => {
    const w = evaluation(await trainJob('wasm'));
    wasmAccuracy = w.accuracy;
    const g = evaluation(await trainJob('webgpu'));
    const [lw, lg] = [await losses('wasm'), await losses('webgpu')];
    expect(lg.length).toBe(2);
    lg.forEach((l, i) => expect(Math.abs(l - lw[i]) / lw[i]).toBeLessThan(1e-3));
    expect(g.accuracy).toBe(w.accuracy);
    const report = JSON.parse(await readFile(g.reportPath, 'utf8')) as { episodes: number };
    expect(report.episodes).toBe(EVAL.episodes);
  });

  it("an evaluation job on webgpu reproduces wasm's evaluation of the same checkpoint", async () => {
    const outcome = await runJob({
      kind: 'evaluate',
      backend: 'webgpu',
      runsDir: runs,
      dataDir: data.dir,
      checkpoint: 'wasm/latest',
      settings: EVAL,
    });
    expect(outcome.status).toBe('finished');
    if (outcome.result?.kind !== 'evaluate') throw new Error('not an evaluation outcome');
    expect(outcome.result.accuracy).toBe(wasmAccuracy);
  });

  it("faithfulness curves on webgpu equal wasm's (1e-4)", async () => {
    const ck = resolveCheckpointDir(join(runs, 'wasm', 'checkpoints', 'latest'));
    const measure = async (backend: ConcreteBackend): Promise<FaithfulnessReport> => {
      await initBackend(backend);
      const { model } = await openCheckpoint(ck);
      if (!(model instanceof RCN)) throw new Error(`${ck}: not an RCN checkpoint`);
      const ds = await openDataset('tiny-imagenet-32', 'test', { dataDir: data.dir, imageSize: 32 });
      try {
        return await measureFaithfulness(model, ds, {
          split: 'test',
          way: 3,
          shot: 1,
          query: 1,
          seed: 9,
          episodes: 1,
          queriesPerEpisode: 2,
          steps: 4,
        });
      } finally {
        model.dispose();
      }
    };
    const w = await measure('wasm');
    const g = await measure('webgpu');
    expect(g.pairs).toBe(w.pairs);
    // Not a flat line: deleting the RAM's regions moves the true-class probability.
    const ram = w.methods.find((m) => m.method === 'ram')!.deletion.curve;
    expect(new Set(ram).size).toBeGreaterThan(1);
    expect(g.methods.map((m) => m.method)).toEqual(w.methods.map((m) => m.method));
    for (const [i, m] of w.methods.entries()) {
      const gm = g.methods[i];
      for (const kind of ['deletion', 'insertion'] as const) {
        const diff = Math.max(...m[kind].curve.map((v, j) => Math.abs(v - gm[kind].curve[j])));
        expect(diff, `${m.method} ${kind}`).toBeLessThanOrEqual(1e-4);
      }
    }
  });
});
