/**
 * Checkpoints of every method through the API: evaluation jobs for RCN, ProtoNet and Relation Network
 * (each opened as its own model by core's `openCheckpoint`, reports named by core's RunDir), predictions
 * on a baseline (no regions, no RAM), and uploads normalised exactly as the checkpoint says.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { evaluationName } from '@rcn/core';
import { removeDirs, startServer, type ServerProcess } from '@rcn/test-utils';
import { DATASET, describeWithData } from './_data.js';
import { codeOf, finished, JOB_FIELDS, ok, trainTiny, waitJob, type JobView } from './_helpers.js';

const METHODS = ['rcn', 'protonet', 'relationnet'] as const;

describeWithData('every method through the API', () => {
  let s: ServerProcess;

  beforeAll(async () => {
    s = await startServer();
    for (const method of METHODS) {
      const job = await waitJob(s, (await trainTiny(s, method, { method })).id, finished);
      expect(job, JSON.stringify(job)).toMatchObject({ status: 'finished' });
    }
  }, 180_000);

  afterAll(async () => {
    await s?.stop();
    if (s) removeDirs(s.dirs);
  });

  it.each(METHODS)('%s: an evaluation job opens the checkpoint as its method and reports', async (method) => {
    const settings = { dataset: DATASET, split: 'val', way: 5, shot: 1, query: 3, episodes: 3, seed: 4 };
    const { evaluate } = ok(
      await s.gql<{ evaluate: JobView }>(
        `mutation ($c: EvaluateInput!) { evaluate(checkpoint: "${method}/latest", config: $c) { ${JOB_FIELDS} } }`,
        { c: settings },
      ),
    );
    const done = await waitJob(s, evaluate.id, finished);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'finished', error: null });
    const { job } = ok(
      await s.gql<{
        job: { evaluation: { name: string; accuracy: number; ci95: number; episodes: number } };
      }>(`{ job(id: "${evaluate.id}") { evaluation { name accuracy ci95 episodes } } }`),
    );
    const e = job.evaluation;
    expect(e.episodes).toBe(3);
    expect(e.accuracy).toBeGreaterThanOrEqual(0);
    expect(e.accuracy).toBeLessThanOrEqual(1);
    expect(Number.isFinite(e.ci95)).toBe(true);
    // The CLI's name and place for the same evaluation (core's RunDir), BatchNorm as the checkpoint's.
    const meta = JSON.parse(
      readFileSync(join(s.dirs.runs, method, 'checkpoints', 'latest', 'metadata.json'), 'utf8'),
    ) as { method: string; model: { bnInference: 'batch' | 'running' } };
    expect(meta.method).toBe(method);
    expect(e.name).toBe(
      evaluationName({ checkpoint: 'latest', ...settings, bnInference: meta.model.bnInference }),
    );
    const report = JSON.parse(
      readFileSync(join(s.dirs.runs, method, 'evaluations', `${e.name}.json`), 'utf8'),
    ) as { method: string; checkpoint: string };
    expect(report).toMatchObject({ method, checkpoint: `${method}/latest` });
  });

  it('predicts an episode with a baseline (no regions) and refuses its RAM with NOT_AVAILABLE', async () => {
    const e = { dataset: DATASET, split: 'test', way: 3, shot: 1, query: 2, seed: 1, index: 0 };
    const { prediction } = ok(
      await s.gql<{
        prediction: {
          regions: number;
          grid: unknown;
          queries: { probabilities: number[]; predictedLabel: number; supports: unknown[] }[];
        };
      }>(
        `query ($e: EpisodeInput!) { prediction(checkpoint: "protonet/best", episode: $e) { regions grid { rows } queries { probabilities predictedLabel supports { score } } } }`,
        { e },
      ),
    );
    expect(prediction.regions).toBe(0);
    expect(prediction.grid).toBeNull();
    expect(prediction.queries).toHaveLength(6);
    for (const q of prediction.queries) {
      expect(q.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(q.probabilities[q.predictedLabel]).toBe(Math.max(...q.probabilities));
      expect(q.supports).toEqual([]);
    }
    const ram = await s.gql(
      `query ($e: EpisodeInput!) { ram(checkpoint: "protonet/best", episode: $e, query: 0, support: 0) { score } }`,
      { e },
    );
    expect(codeOf(ram)).toBe('NOT_AVAILABLE');
  });

  it("normalises uploads with the checkpoint's statistics: uploading an episode's images predicts as the episode", async () => {
    // Unusual statistics, written before any prediction loads this checkpoint: a fallback to another
    // dataset's (or mini-ImageNet's) statistics on either path would change the numbers.
    const metaPath = join(s.dirs.runs, 'rcn', 'checkpoints', 'best', 'metadata.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      metaPath,
      JSON.stringify({ ...meta, normalisation: { mean: [0.2, 0.6, 0.3], std: [0.15, 0.4, 0.2] } }),
    );
    const e = { dataset: DATASET, split: 'test', way: 2, shot: 1, query: 2, seed: 5, index: 2 };
    const { prediction, episode } = ok(
      await s.gql<{
        prediction: { queries: { probabilities: number[] }[] };
        episode: { support: { url: string; label: number }[]; queries: { url: string; label: number }[] };
      }>(
        `query ($e: EpisodeInput!) {
          prediction(checkpoint: "rcn/best", episode: $e) { queries { probabilities } }
          episode(dataset: "${e.dataset}", split: "${e.split}", way: 2, shot: 1, query: 2, seed: 5, index: 2) { support { url label } queries { url label } }
        }`,
        { e },
      ),
    );
    const b64 = async (url: string) =>
      Buffer.from(await (await fetch(s.url + url)).arrayBuffer()).toString('base64');
    const supports = await Promise.all(
      episode.support.map(async (im) => ({ label: `c${im.label}`, data: await b64(im.url) })),
    );
    const queries = await Promise.all(episode.queries.map(async (im) => ({ data: await b64(im.url) })));
    const { predict } = ok(
      await s.gql<{ predict: { classes: string[]; queries: { probabilities: number[] }[] } }>(
        `mutation ($s: [LabelledImageInput!]!, $q: [ImageInput!]!) { predict(checkpoint: "rcn/best", supports: $s, queries: $q) { classes queries { probabilities } } }`,
        { s: supports, q: queries },
      ),
    );
    expect(predict.classes).toEqual(['c0', 'c1']);
    expect(predict.queries).toHaveLength(prediction.queries.length);
    predict.queries.forEach((q, i) =>
      q.probabilities.forEach((p, c) => expect(p).toBeCloseTo(prediction.queries[i].probabilities[c], 4)),
    );
  });
});
