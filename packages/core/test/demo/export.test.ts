/**
 * `exportDemo` writes a folder a static host serves: the page as built, the checkpoint's own files, real
 * example episodes of its dataset (PNGs of the dataset's pixels at the model's size, the episodes the
 * sampler gives), the dataset's licence and credit, and a `demo.json` the page can read; it refuses a
 * dataset whose terms are unknown unless they are stated, and a folder that is not empty.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/index.js';
import { openDataset } from '../../src/data/index.js';
import { exportDemo, isDemoManifest, type DemoManifest } from '../../src/demo/index.js';
import { sampleEpisode } from '../../src/episodes/index.js';
import { createModel, saveCheckpoint } from '../../src/model/index.js';
import { requireSharedData } from '@rcn/test-utils';

const data = requireSharedData('omniglot');
const NORM = { mean: [0.92, 0.92, 0.92], std: [0.08, 0.08, 0.08] };

describe.skipIf(!data.available)('exportDemo', () => {
  let root: string;
  let app: string;
  let ck: string;
  const opts = () => ({
    app,
    dataDir: data.dir,
    episodes: 2,
    split: 'test',
    way: 3,
    shot: 2,
    query: 1,
    seed: 5,
  });

  beforeAll(async () => {
    await initBackend('wasm');
    root = await mkdtemp(join(tmpdir(), 'rcn-demo-'));
    app = join(root, 'app');
    await mkdir(join(app, 'chunks'), { recursive: true });
    await writeFile(
      join(app, 'index.html'),
      '<!doctype html><div id="root"></div><script type="module" src="./app.js"></script>',
    );
    await writeFile(join(app, 'chunks', 'x.js'), 'export {};');
    ck = join(root, 'ck');
    const model = createModel('rcn', { backbone: 'conv4', widths: [8, 8, 8, 8], imageSize: 28, seed: 1 });
    await saveCheckpoint(model, ck, { normalization: NORM, dataset: 'omniglot' });
    model.dispose();
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('writes the page, the model, real example episodes and the dataset credit', async () => {
    const out = join(root, 'out');
    const s = await exportDemo({ ...opts(), checkpoint: ck, out });
    expect(s).toMatchObject({ method: 'rcn', dataset: 'omniglot', episodes: 2, commercial: true });
    expect(s.credit).toContain('MIT');
    expect(await readFile(join(out, 'index.html'), 'utf8')).toContain('app.js');
    expect(await readdir(join(out, 'chunks'))).toEqual(['x.js']);
    for (const f of ['metadata.json', 'model.json', 'weights.bin'])
      expect((await readFile(join(out, 'model', f))).equals(await readFile(join(ck, f)))).toBe(true);
    expect(await readFile(join(out, 'DATA-LICENSE.txt'), 'utf8')).toContain('Brenden Lake');
    const m = JSON.parse(await readFile(join(out, 'demo.json'), 'utf8')) as DemoManifest;
    expect(isDemoManifest(m)).toBe(true);
    expect(m.model.url).toBe('model/');
    expect(m.dataset).toMatchObject({ name: 'omniglot', licenceUrl: 'DATA-LICENSE.txt' });
    // Each example is the sampler's episode, its images the dataset's pixels at the model's size.
    const ds = await openDataset('omniglot', 'test', { dataDir: data.dir, imageSize: 28 });
    for (const [index, e] of m.episodes.entries()) {
      const ep = sampleEpisode(ds, {
        dataset: 'omniglot',
        split: 'test',
        way: 3,
        shot: 2,
        query: 1,
        seed: 5,
        index,
      });
      expect(e.classes.map((c) => c.name)).toEqual(ep.classes.map((c) => c.name));
      expect(e.classes.flatMap((c) => c.support.map((x) => x.name))).toEqual(
        ep.support.map((x) => x.imageId),
      );
      expect(e.queries.map((q) => [q.name, q.label])).toEqual(ep.query.map((q) => [q.imageId, q.label]));
      const first = e.queries[0];
      // encodePng writes grey as RGB with R = G = B; the page reads any of them.
      const { data: px, info } = await sharp(join(out, first.url))
        .extractChannel(0)
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([28, 28]);
      expect(Array.from(px)).toEqual(Array.from(await ds.getImage(first.name)));
    }
    expect(await readFile(join(out, 'NOTICE.txt'), 'utf8')).toContain('static web server');
  });

  it('refuses a folder that is not empty, and a dataset whose terms are unknown unless stated', async () => {
    await expect(exportDemo({ ...opts(), checkpoint: ck, out: join(root, 'out') })).rejects.toThrow(
      /not empty/,
    );
    // An image folder named by path: its images are the user's, their terms unknown here.
    const own = join(root, 'own');
    for (const c of ['a', 'b', 'c', 'd', 'e'])
      for (let i = 0; i < 4; i++) {
        await mkdir(join(own, c), { recursive: true });
        const px = Buffer.alloc(28 * 28, 40 * i + c.charCodeAt(0));
        await sharp(px, { raw: { width: 28, height: 28, channels: 1 } })
          .png()
          .toFile(join(own, c, `${i}.png`));
      }
    const ownCk = join(root, 'own-ck');
    const model = createModel('rcn', { backbone: 'conv4', widths: [8, 8, 8, 8], imageSize: 28, seed: 1 });
    await saveCheckpoint(model, ownCk, { normalization: NORM, dataset: own });
    model.dispose();
    const ownOpts = { ...opts(), checkpoint: ownCk, split: 'all', way: 2, shot: 1 };
    await expect(exportDemo({ ...ownOpts, out: join(root, 'own-out') })).rejects.toThrow(/--data-terms/);
    const s = await exportDemo({
      ...ownOpts,
      out: join(root, 'own-out2'),
      dataTerms: 'my own drawings, CC BY 4.0',
    });
    expect(s).toMatchObject({ credit: 'my own drawings, CC BY 4.0', commercial: false, episodes: 2 });
    // No examples: no dataset needed, no terms.
    const none = await exportDemo({ ...ownOpts, episodes: 0, out: join(root, 'no-examples') });
    expect(none).toMatchObject({ episodes: 0, credit: null });
    const m = JSON.parse(await readFile(join(root, 'no-examples', 'demo.json'), 'utf8')) as DemoManifest;
    expect([m.dataset, m.episodes]).toEqual([null, []]);
  });
});
