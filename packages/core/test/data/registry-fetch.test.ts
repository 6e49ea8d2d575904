import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import sharp from 'sharp';
import { zipSync } from 'fflate';
import { DataError, fetchOmniglot, findDatasets, openDataset } from '../../src/data/index.js';
import { loadOmniglot } from '../../src/data/omniglot.js';
import { type ArchiveSpec } from '../../src/data/fetch.js';
import { DATA_DIR, HAVE_DATA, tempDir } from './_data-dir.js';

describe.skipIf(!HAVE_DATA)('findDatasets / openDataset on the real data folder', () => {
  it('lists Omniglot, the PNG subset and tiny-imagenet-32 with counts and paths', async () => {
    const found = await findDatasets(DATA_DIR);
    const by = new Map(found.map((e) => [e.name, e]));
    expect([...by.keys()].sort()).toEqual(['omniglot', 'omniglot-background_small1', 'tiny-imagenet-32']);
    const om = by.get('omniglot')!;
    expect(om.path).toBe(join(DATA_DIR, 'omniglot'));
    expect(om.summary).toEqual([
      { split: 'train', classes: 4112, images: 82240 },
      { split: 'val', classes: 688, images: 13760 },
      { split: 'test', classes: 1692, images: 33840 },
      { split: 'background', classes: 3856, images: 77120 },
      { split: 'evaluation', classes: 2636, images: 52720 },
      { split: 'lake-train', classes: 3516, images: 70320 },
      { split: 'lake-val', classes: 340, images: 6800 },
    ]);
    expect(by.get('omniglot-background_small1')!.summary).toEqual([
      { split: 'all', classes: 544, images: 10880 },
    ]);
    expect(by.get('tiny-imagenet-32')!.summary).toEqual([
      { split: 'train', classes: 128, images: 15360 },
      { split: 'val', classes: 32, images: 3840 },
      { split: 'test', classes: 40, images: 4800 },
    ]);
  });

  it('opens by name with the right defaults', async () => {
    const tiny = await openDataset('tiny-imagenet-32', 'val', { dataDir: DATA_DIR });
    expect(tiny.shape).toEqual({ height: 32, width: 32, channels: 3 });
    const om = await openDataset('omniglot', 'test', { dataDir: DATA_DIR, rotations: false });
    expect(om.classes.length).toBe(423);
    await expect(openDataset('mini-imagenet', 'train', { dataDir: DATA_DIR })).rejects.toThrow(
      /no dataset 'mini-imagenet' here \(found: omniglot/,
    );
    await expect(openDataset('omniglot', 'bogus', { dataDir: DATA_DIR })).rejects.toThrow(
      /has no split 'bogus'/,
    );
  });
});

describe('fetchOmniglot', () => {
  async function fixtureZip(): Promise<Uint8Array> {
    const png = await sharp(new Uint8Array(105 * 105).fill(255), {
      raw: { width: 105, height: 105, channels: 1 },
    })
      .png()
      .toBuffer();
    const files: Record<string, Uint8Array> = {};
    for (let d = 1; d <= 20; d++)
      files[`images_background/Greek/character01/0394_${String(d).padStart(2, '0')}.png`] = png;
    return zipSync(files);
  }
  const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

  it.skipIf(!HAVE_DATA)('skips sets already present as npz unless forced', async () => {
    const offline = () => Promise.reject(new TypeError('fetch failed'));
    const res = await fetchOmniglot({ dataDir: DATA_DIR, fetchImpl: offline });
    expect(res.archives.map((a) => a.action)).toEqual(['already-present-npz', 'already-present-npz']);
  });

  it('offline, fails saying exactly where to place which files', async () => {
    const t = tempDir();
    try {
      const offline = () =>
        Promise.reject(
          Object.assign(new TypeError('fetch failed'), {
            cause: new Error('getaddrinfo ENOTFOUND github.com'),
          }),
        );
      const err = (await fetchOmniglot({ dataDir: t.dir, fetchImpl: offline }).catch(
        (e: unknown) => e,
      )) as DataError;
      expect(err).toBeInstanceOf(DataError);
      expect(err.message).toMatch(/ENOTFOUND/);
      expect(err.message).toContain(
        'https://github.com/brendenlake/omniglot/raw/master/python/images_background.zip',
      );
      expect(err.message).toContain(`place at ${join(t.dir, 'omniglot', 'images_background.zip')}`);
      expect(err.message).toContain(`place at ${join(t.dir, 'omniglot', 'images_evaluation.zip')}`);
    } finally {
      t.cleanup();
    }
  });

  it('downloads, checks, pins the SHA-256, unpacks the PNG layout; rejects a corrupt archive', async () => {
    const t = tempDir();
    try {
      const zip = await fixtureZip();
      const archives: ArchiveSpec[] = [
        { file: 'images_background.zip', url: 'https://example.invalid/bg.zip', md5: md5(zip) },
      ];
      const fetchImpl = async () => ({ ok: true, status: 200, arrayBuffer: async () => zip.slice().buffer });
      const res = await fetchOmniglot({ dataDir: t.dir, fetchImpl, archives });
      expect(res.archives[0].action).toBe('downloaded');
      const dir = join(t.dir, 'omniglot');
      expect(existsSync(join(dir, 'images_background', 'Greek', 'character01', '0394_07.png'))).toBe(true);
      expect(existsSync(join(dir, 'images_background.zip.sha256'))).toBe(true);
      const ds = await loadOmniglot(dir, 'background', { rotations: false });
      expect(ds.classes.map((c) => c.imageIds.length)).toEqual([20]);
      const again = await fetchOmniglot({ dataDir: t.dir, fetchImpl, archives });
      expect(again.archives[0].action).toBe('already-unpacked');

      const t2 = tempDir();
      try {
        mkdirSync(join(t2.dir, 'omniglot'));
        const corrupt = zip.slice();
        corrupt[100] ^= 0xff;
        writeFileSync(join(t2.dir, 'omniglot', 'images_background.zip'), corrupt);
        await expect(fetchOmniglot({ dataDir: t2.dir, archives })).rejects.toThrow(
          `${join(t2.dir, 'omniglot', 'images_background.zip')}: MD5 mismatch`,
        );
        writeFileSync(join(t2.dir, 'omniglot', 'images_background.zip'), zip);
        expect((await fetchOmniglot({ dataDir: t2.dir, archives })).archives[0].action).toBe(
          'used-local-zip',
        );
      } finally {
        t2.cleanup();
      }
    } finally {
      t.cleanup();
    }
  });
});
