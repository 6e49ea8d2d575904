/**
 * The campaign end to end on real data (tiny-imagenet-32, a few episodes per cell): a stage of two cells run
 * by the sweep engine, interrupted in its first cell and resumed, each finished cell tested (two
 * evaluations) and published into a zoo with a card whose fixed check the copied weights reproduce; zoo
 * models open by name, and their evaluation reports stay out of the zoo.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  compareZooCheck,
  initBackend,
  listZoo,
  openCheckpoint,
  pickZooModel,
  readZooCard,
  RunDir,
  runZooCheck,
  zooCardSchema,
} from '@rcn/core';
import { requireSharedData, tinyCampaign } from '@rcn/test-utils';
import { campaignStatus, planCampaign, readCampaign, runCampaign } from '../src/index.js';

const data = requireSharedData('tiny-imagenet-32');

describe.skipIf(!data.available)('campaign and model zoo', () => {
  let root: string;
  beforeAll(async () => {
    await initBackend('wasm');
    root = await tinyCampaign('rcn-campaign-', {
      zoo: 'tiny-{method}-5w{shot}s-seed{seed}',
      methods: ['protonet', 'rcn'],
      episodes: 6,
      model: '{ backbone: conv4 }',
      extra: ['seeds: [0]'],
      eval: '\n  - { split: test, query: 2, episodes: 3, seed: 0 }\n  - { split: test, shot: 2, query: 2, episodes: 3, seed: 0 }',
    });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stops on a signal with the running cell saved, then resumes, tests and publishes every cell', async () => {
    const c = await readCampaign(join(root, 'campaign', 'campaign.yaml'));
    expect(c.runsDir).toBe(join(root, 'campaign', 'runs'));
    expect(c.zooDir).toBe(join(root, 'zoo'));
    const ac = new AbortController();
    const first = await runCampaign(c, {
      dataDir: data.dir,
      backend: 'wasm',
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'progress' && e.progress.phase === 'train' && e.progress.done >= 3) ac.abort();
      },
    });
    expect(first.stoppedBy).toBe('signal');
    expect(first.complete).toBe(false);
    expect(first.published).toEqual([]);
    const cell = join(c.runsDir, 'tiny_method-protonet_seed0');
    const stopped = await new RunDir(cell).status();
    expect(stopped?.status).toBe('interrupted');
    expect(stopped!.episode).toBeGreaterThanOrEqual(3);
    expect(existsSync(join(cell, 'checkpoints', 'latest', 'trainer-state.json'))).toBe(true);

    const events: string[] = [];
    const second = await runCampaign(c, {
      dataDir: data.dir,
      backend: 'wasm',
      onEvent: (e) => {
        if (e.type === 'cell-start') events.push(`start ${e.cell} ${e.fromEpisode}`);
        if (e.type === 'published') events.push(`published ${e.name}`);
      },
    });
    expect(second).toEqual({
      complete: true,
      stoppedBy: null,
      published: ['tiny-protonet-5w1s-seed0', 'tiny-rcn-5w1s-seed0'],
    });
    // The interrupted cell continued from its checkpoint, not from scratch.
    expect(events[0]).toBe(`start tiny_method-protonet_seed0 ${stopped!.episode}`);
    const attempts = (await readFile(join(cell, 'attempts.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(attempts.filter((a) => a.event === 'start').map((a) => a.fromEpisode)).toEqual([
      0,
      stopped!.episode,
    ]);
    expect(attempts.every((a) => a.event !== 'start' || typeof a.machine === 'string')).toBe(true);

    const status = await campaignStatus(c, await planCampaign(c, { dataDir: data.dir }));
    expect(status.map((s) => [s.id, s.state, s.published])).toEqual([
      ['tiny_method-protonet_seed0', 'done', true],
      ['tiny_method-rcn_seed0', 'done', true],
    ]);
    // A third call finds everything done and does nothing.
    expect(await runCampaign(c, { dataDir: data.dir, backend: 'wasm' })).toEqual({
      complete: true,
      stoppedBy: null,
      published: [],
    });
  });

  it('writes cards from the run records whose fixed check the published weights reproduce', async () => {
    const zoo = join(root, 'zoo');
    const models = await listZoo(zoo);
    expect(models.map((m) => m.name)).toEqual(['tiny-protonet-5w1s-seed0', 'tiny-rcn-5w1s-seed0']);
    for (const m of models) {
      const card = await readZooCard(m.dir);
      expect(zooCardSchema.parse(card)).toEqual(card);
      const run = new RunDir(join(root, 'campaign', 'runs', `tiny_method-${card.method}_seed0`));
      const summary = (await run.status())!;
      expect(card.training.episodes).toBe(summary.episode);
      expect(card.training.bestEpisode).toBe(summary.bestEpisode);
      expect(card.training.wallSeconds).toBe(summary.elapsedSeconds);
      const vals = (await run.metrics()).filter((e) => e.type === 'val');
      expect(card.validation.map((v) => [v.episode, v.accuracy, v.seconds])).toEqual(
        vals.map((v) => [v.episode, v.accuracy, v.elapsedSeconds]),
      );
      // Both evaluations of the stage, from the run's own reports.
      expect(card.test.map((t) => [t.split, t.way, t.shot, t.episodes])).toEqual([
        ['test', 5, 1, 3],
        ['test', 5, 2, 3],
      ]);
      for (const t of card.test) {
        const name = `best-tiny-imagenet-32-test-5w${t.shot}s2q-3e-seed0-bn${t.bnInference}`;
        const report = JSON.parse(await readFile(join(run.evaluationsDir, `${name}.json`), 'utf8'));
        expect([t.accuracy, t.ci95]).toEqual([report.accuracy, report.ci95]);
      }
      expect(card.command).toBe(
        'pnpm cli sweep campaign/stages/tiny.yaml --runs-dir campaign/runs (run by `pnpm campaign`)',
      );
      expect(card.licence).toMatch(/non-commercial/);
      expect(card.check.correct.length).toBe(card.check.episodes);
      for (const f of ['README.md', 'curve.svg', 'model.json', 'metadata.json'])
        expect(existsSync(join(m.dir, f)), f).toBe(true);
      expect((await readFile(join(m.dir, 'README.md'), 'utf8')).includes(card.command)).toBe(true);
      // A Conv4 model ships small.
      expect((await stat(join(m.dir, 'weights.bin'))).size).toBeLessThan(1 << 20);

      const ck = await openCheckpoint(m.name, { zooDir: zoo, runsDir: join(root, 'runs') });
      try {
        expect(ck.zoo).toBe(m.name);
        expect(ck.method).toBe(card.method);
        const again = await runZooCheck(ck, card.check, { dataDir: data.dir });
        expect(compareZooCheck(card.check, again)).toEqual([]);
        expect(again).toEqual(card.check);
        // A check that disagrees says how.
        const wrong = {
          ...card.check,
          correct: card.check.correct.map((x) => x + 3),
          loss: card.check.loss * 2,
        };
        expect(compareZooCheck(wrong, again).join('\n')).toMatch(/episode 0: .*loss/s);
      } finally {
        ck.dispose();
      }
    }
    expect(pickZooModel(models, { channels: 3 })?.name).toBe('tiny-rcn-5w1s-seed0');
    expect(pickZooModel(models, { channels: 1 })).toBeNull();
  });

  it('opens zoo models by name or zoo:<name>, a run of the same name first, and keeps reports out of the zoo', async () => {
    const zoo = join(root, 'zoo');
    const runsDir = join(root, 'campaign', 'runs');
    const byPrefix = await openCheckpoint('zoo:tiny-rcn-5w1s-seed0', { zooDir: zoo, runsDir });
    try {
      expect(byPrefix.dir).toBe(join(zoo, 'tiny-rcn-5w1s-seed0'));
      expect(RunDir.reportDir(byPrefix, 'evaluations')).toBe(
        join(runsDir, 'zoo', 'tiny-rcn-5w1s-seed0', 'evaluations'),
      );
    } finally {
      byPrefix.dispose();
    }
    await expect(openCheckpoint('zoo:no-such-model', { zooDir: zoo, runsDir })).rejects.toThrow(
      /zoo:no-such-model: no such model in the zoo/,
    );
    // A bare name that is also a run in the runs folder opens the run.
    const run = await openCheckpoint('tiny_method-rcn_seed0', { zooDir: zoo, runsDir });
    try {
      expect(run.runDir).toBe(join(runsDir, 'tiny_method-rcn_seed0'));
    } finally {
      run.dispose();
    }
  });
});
