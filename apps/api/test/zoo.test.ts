/**
 * The model zoo through the API: `zoo` lists the cards, `zoo:<name>` opens a zoo model wherever a checkpoint
 * is taken (its predictions equal those of the run it was published from), zoo models are read-only, and
 * validation points carry the training time that the run page plots accuracy against.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultTrainConfig, initBackend, publishZooModel, type ZooCard } from '@rcn/core';
import { runJob } from '@rcn/jobs';
import { sharedDataDir, removeDirs, startServer, tempDirs, type ServerProcess } from '@rcn/test-utils';
import { DATASET, describeWithData } from './_data.js';
import { codeOf, ok, TINY_TRAIN } from './_helpers.js';

const EPISODE = { dataset: DATASET, split: 'test', way: 5, shot: 1, query: 2, seed: 4, index: 2 };
const NAME = 'tiny-rcn-5w1s';

describeWithData('model zoo in the API', () => {
  let s: ServerProcess;
  let card: ZooCard;

  beforeAll(async () => {
    const dirs = tempDirs();
    mkdirSync(dirs.runs, { recursive: true });
    const zoo = join(dirs.root, 'zoo');
    await initBackend('wasm');
    const config = defaultTrainConfig({ ...TINY_TRAIN, dataDir: sharedDataDir(), backend: 'wasm' });
    await runJob({
      kind: 'train',
      runsDir: dirs.runs,
      runId: 'source',
      config,
      resume: false,
      evaluate: {
        dataset: DATASET,
        split: 'test',
        way: 5,
        shot: 1,
        query: 2,
        episodes: 3,
        seed: 0,
        checkpoint: 'best',
      },
    });
    card = await publishZooModel({
      runDir: join(dirs.runs, 'source'),
      name: NAME,
      zooDir: zoo,
      command: 'pnpm cli train (test)',
      dataDir: sharedDataDir(),
      backend: 'wasm',
    });
    s = await startServer({ dirs, env: { RCN_ZOO_DIR: zoo } });
  }, 180_000);

  afterAll(async () => {
    await s?.stop();
    if (s) removeDirs(s.dirs);
  });

  it('lists the zoo with each card', async () => {
    const { zoo } = ok(
      await s.gql<{
        zoo: {
          name: string;
          ref: string;
          dataset: string;
          way: number;
          episodes: number;
          test: { accuracy: number; withinGroup: boolean }[];
          validation: { episode: number; seconds: number }[];
          card: ZooCard;
        }[];
      }>(
        '{ zoo { name ref dataset way episodes test { accuracy withinGroup } validation { episode seconds } card } }',
      ),
    );
    expect(zoo).toHaveLength(1);
    expect(zoo[0]).toMatchObject({
      name: NAME,
      ref: `zoo:${NAME}`,
      dataset: DATASET,
      way: 5,
      episodes: card.training.episodes,
    });
    expect(zoo[0].test).toEqual(card.test.map((t) => ({ accuracy: t.accuracy, withinGroup: t.withinGroup })));
    expect(zoo[0].validation).toEqual(
      card.validation.map((v) => ({ episode: v.episode, seconds: v.seconds })),
    );
    expect(zoo[0].card).toEqual(card);
  });

  it('predicts with a zoo model as with the run it came from', async () => {
    const q = `query ($c: ID!, $e: EpisodeInput!) { prediction(checkpoint: $c, episode: $e) { checkpoint queries { probabilities } } }`;
    type P = { prediction: { checkpoint: string; queries: { probabilities: number[] }[] } };
    const zoo = ok(await s.gql<P>(q, { c: `zoo:${NAME}`, e: EPISODE })).prediction;
    const run = ok(await s.gql<P>(q, { c: 'source/best', e: EPISODE })).prediction;
    expect(zoo.checkpoint).toBe(`zoo:${NAME}`);
    expect(zoo.queries).toEqual(run.queries);
  });

  it('keeps the zoo read-only and confined', async () => {
    const evaluate = await s.gql(
      `mutation { evaluate(checkpoint: "zoo:${NAME}", config: { dataset: "${DATASET}", split: "test", episodes: 2 }) { id } }`,
    );
    expect(codeOf(evaluate)).toBe('BAD_USER_INPUT');
    expect(evaluate.errors?.[0].message).toMatch(/zoo model is read-only/);
    const q = (c: string) =>
      s.gql(`query ($c: ID!, $e: EpisodeInput!) { prediction(checkpoint: $c, episode: $e) { checkpoint } }`, {
        c,
        e: EPISODE,
      });
    expect(codeOf(await q('zoo:../source'))).toBe('FORBIDDEN_PATH');
    expect(codeOf(await q('zoo:no-such-model'))).toBe('NOT_FOUND');
  });

  it('gives validation points the training time they were measured at', async () => {
    const { run } = ok(
      await s.gql<{ run: { metrics: { type: string; episode: number; elapsedSeconds: number | null }[] } }>(
        '{ run(id: "source") { metrics { type episode elapsedSeconds } } }',
      ),
    );
    const vals = run.metrics.filter((m) => m.type === 'val');
    expect(vals.map((v) => v.episode)).toEqual(card.validation.map((v) => v.episode));
    expect(vals.map((v) => v.elapsedSeconds)).toEqual(card.validation.map((v) => v.seconds));
    expect(run.metrics.filter((m) => m.type === 'train').every((m) => m.elapsedSeconds === null)).toBe(true);
  });
});
