/**
 * The repository's own campaign and model zoo (campaign/campaign.yaml, zoo/): the zoo holds exactly the
 * models of the campaign's published cells, each a small Conv4 checkpoint with a complete card that opens
 * by name, and each still reproduces its card's fixed check on the test split (the same episodes from the
 * card's seed), so a change to the code that alters what a trained model computes fails here on real
 * weights.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareZooCheck, initBackend, listZoo, openCheckpoint, runZooCheck, type ZooModel } from '@rcn/core';
import { requireSharedData } from '@rcn/test-utils';
import { campaignStatus, planCampaign, readCampaign } from '../src/index.js';

const repo = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const zooDir = join(repo, 'zoo');
const models: ZooModel[] = await listZoo(zooDir);
const data = requireSharedData('omniglot');

describe('the repository zoo and its campaign', () => {
  it('holds exactly the models of the campaign cells that are done, each small and complete', async () => {
    const c = await readCampaign(join(repo, 'campaign', 'campaign.yaml'));
    expect(c.zooDir).toBe(zooDir);
    const status = await campaignStatus(c, await planCampaign(c, { dataDir: data.dir, save: false }));
    const published = status.filter((s) => s.published).map((s) => s.zooName);
    expect(models.map((m) => m.name).sort()).toEqual([...published].sort());
    // A cell is published once it is done (trained and tested); none is published before.
    for (const s of status) if (s.published) expect(s.state, s.id).toBe('done');
    // Nothing else in the folder: no half-written model (`.new`, `.old`) and no folder without a card.
    const entries = existsSync(zooDir) ? await readdir(zooDir) : [];
    expect(entries.filter((e) => !e.startsWith('.')).sort()).toEqual(models.map((m) => m.name).sort());
    for (const m of models) {
      expect(m.card.name).toBe(m.name);
      expect(m.card.backbone).toBe('conv4');
      expect((await stat(join(m.dir, 'weights.bin'))).size, m.name).toBeLessThan(1 << 20);
      for (const f of ['README.md', 'curve.svg', 'metadata.json'])
        expect(existsSync(join(m.dir, f)), f).toBe(true);
      const eps = m.card.validation.map((v) => v.episode);
      expect(eps).toEqual([...eps].sort((a, b) => a - b));
      expect(eps).toContain(m.card.training.bestEpisode);
      expect(m.card.test.length).toBeGreaterThan(0);
    }
  });
});

describe.skipIf(!data.available)('zoo models reproduce their cards', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  it('every zoo model opens by name and reproduces its fixed check', async () => {
    for (const m of models) {
      const ck = await openCheckpoint(m.name, { zooDir, runsDir: join(repo, 'runs') });
      try {
        expect(ck.dir).toBe(m.dir);
        expect(ck.method).toBe(m.card.method);
        expect(ck.dataset).toBe(m.card.dataset);
        const again = await runZooCheck(ck, m.card.check, { dataDir: data.dir });
        expect(compareZooCheck(m.card.check, again), m.name).toEqual([]);
      } finally {
        ck.dispose();
      }
    }
  });
});
