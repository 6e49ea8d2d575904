import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadCub, loadImageFolder, readClassListSplit } from '../../src/data/folder.js';
import { readTieredSplit } from '../../src/data/splits.js';
import { sampleEpisode } from '../../src/episodes/index.js';
import { DATA_DIR, HAVE_DATA, tempDir } from './_data-dir.js';

describe.skipIf(!HAVE_DATA)('tiered-ImageNet and CUB split files (real)', () => {
  it('tiered: 351/97/160 classes in 20/6/8 categories, disjoint', async () => {
    const all = new Set<string>();
    for (const [split, n, cats] of [
      ['train', 351, 20],
      ['val', 97, 6],
      ['test', 160, 8],
    ] as const) {
      const rows = await readTieredSplit(join(DATA_DIR, 'splits', 'tiered-imagenet', `${split}.csv`));
      expect(rows.length, split).toBe(n);
      expect(new Set(rows.map((r) => r.category)).size, split).toBe(cats);
      for (const r of rows) all.add(r.wnid);
    }
    expect(all.size).toBe(608);
  });

  it('CUB: 100/50/50 class folders, disjoint, 200 in all', async () => {
    const all = new Set<string>();
    for (const [split, n] of [
      ['train', 100],
      ['val', 50],
      ['test', 50],
    ] as const) {
      const classes = await readClassListSplit(join(DATA_DIR, 'splits', 'cub', `${split}.json`), split);
      expect(classes.length, split).toBe(n);
      for (const c of classes) all.add(c);
    }
    expect(all.size).toBe(200);
    expect(all.has('001.Black_footed_Albatross')).toBe(true);
  });
});

describe('CUB layout and a generic image folder (fixtures)', () => {
  const t = tempDir();
  const cub = join(t.dir, 'CUB_200_2011');
  const own = join(t.dir, 'mine');
  const jpeg = (v: number) =>
    sharp(new Uint8Array(50 * 40 * 3).fill(v), { raw: { width: 50, height: 40, channels: 3 } })
      .jpeg()
      .toBuffer();
  beforeAll(async () => {
    for (const c of ['001.Black_footed_Albatross', '002.Laysan_Albatross']) {
      mkdirSync(join(cub, 'images', c), { recursive: true });
      for (let i = 0; i < 3; i++)
        writeFileSync(join(cub, 'images', c, `${c.slice(4)}_${i}.jpg`), await jpeg(40 * i));
    }
    mkdirSync(join(cub, 'splits', 'cub'), { recursive: true });
    writeFileSync(
      join(cub, 'splits', 'cub', 'train.json'),
      JSON.stringify(['002.Laysan_Albatross', '001.Black_footed_Albatross']),
    );
    writeFileSync(join(cub, 'splits', 'cub', 'val.json'), JSON.stringify(['003.Sooty_Albatross']));
    for (const [c, n] of [
      ['cat', 6],
      ['dog', 6],
      ['newt', 2],
    ] as const) {
      mkdirSync(join(own, c), { recursive: true });
      for (let i = 0; i < n; i++) writeFileSync(join(own, c, `${i}.jpg`), await jpeg(i * 20));
      writeFileSync(join(own, c, 'notes.txt'), 'not an image');
    }
  });
  afterAll(() => t.cleanup());

  it('CUB: class folders from the split file, readable names, images resized', async () => {
    const ds = await loadCub(cub, 'train');
    expect(ds.classes.map((c) => c.id)).toEqual(['002.Laysan_Albatross', '001.Black_footed_Albatross']);
    expect(ds.classes[0].name).toBe('Laysan Albatross');
    expect(ds.classes[1].imageIds.length).toBe(3);
    expect((await ds.getImage(ds.classes[1].imageIds[2])).length).toBe(84 * 84 * 3);
    await expect(loadCub(cub, 'val')).rejects.toThrow(
      `${join(cub, 'splits', 'cub', 'val.json')}: split names unknown class '003.Sooty_Albatross'`,
    );
  });

  it('a generic folder: every sub-folder a class, images only; split file optional', async () => {
    const all = await loadImageFolder(own);
    expect(all.classes.map((c) => `${c.id}:${c.imageIds.length}`)).toEqual(['cat:6', 'dog:6', 'newt:2']);
    expect(all.name).toBe('mine');
    // Without a split file: the seeded class split (3 classes: one each).
    const seeded = await Promise.all(['train', 'val', 'test'].map((sp) => loadImageFolder(own, sp)));
    expect(seeded.map((d) => d.classes.length)).toEqual([1, 1, 1]);
    expect(seeded.flatMap((d) => d.classes.map((c) => c.id)).sort()).toEqual(['cat', 'dog', 'newt']);
    await expect(loadImageFolder(own, 'other')).rejects.toThrow(/no split file/);
    writeFileSync(
      join(own, 'splits.json'),
      JSON.stringify({ train: ['cat', 'newt'], test: ['dog', 'fish'] }),
    );
    const train = await loadImageFolder(own, 'train', { imageSize: 32 });
    expect(train.classes.map((c) => c.id)).toEqual(['cat', 'newt']);
    expect((await train.getImage('cat/3.jpg')).length).toBe(32 * 32 * 3);
    await expect(loadImageFolder(own, 'test')).rejects.toThrow(
      `${join(own, 'splits.json')}: split names unknown class 'fish'`,
    );
    // A class with fewer than K + Q images: the error names its folder.
    const spec = { dataset: 'mine', split: 'train', way: 2, shot: 1, query: 2, seed: 1, index: 0 };
    expect(() => sampleEpisode(train, spec)).toThrow(
      `${join(own, 'newt')}: class 'newt' has 2 images, fewer than shot + query = 3`,
    );
  });
});
