import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { zipSync } from 'fflate';
import { DataError, type FewShotDataset } from '../../src/data/index.js';
import {
  loadOmniglot,
  loadOmniglotChars,
  omniglotCharsFromZip,
  readOmniglotChars,
} from '../../src/data/omniglot.js';
import { resizeAreaGrey, rotateSquare } from '../../src/data/pixels.js';
import { DATA_DIR, HAVE_DATA, tempDir } from './_data-dir.js';

const OMNI = join(DATA_DIR, 'omniglot');
const images = (ds: FewShotDataset) => ds.classes.reduce((n, c) => n + c.imageIds.length, 0);

describe.skipIf(!HAVE_DATA)('Omniglot on the real data', () => {
  it('has the README counts: 964 + 659 characters, Vinyals 1028/172/423, 20 drawers each', async () => {
    const counts: Record<string, [number, number]> = {
      train: [1028, 0],
      val: [172, 0],
      test: [423, 0],
      background: [964, 0],
      evaluation: [659, 0],
    };
    const seen = new Set<string>();
    for (const split of Object.keys(counts) as (keyof typeof counts)[]) {
      const ds = await loadOmniglot(OMNI, split as 'train', { rotations: false });
      expect(ds.classes.length, split).toBe(counts[split][0]);
      expect(images(ds), split).toBe(counts[split][0] * 20);
      if (split === 'train' || split === 'val' || split === 'test')
        for (const c of ds.classes) seen.add(c.id);
    }
    expect(seen.size).toBe(1623); // Vinyals splits are disjoint and cover every character
    const rotated = await loadOmniglot(OMNI, 'train');
    expect(rotated.classes.length).toBe(4 * 1028);
    expect(images(rotated)).toBe(4 * 1028 * 20);
    expect(rotated.classes[1].id).toMatch(/@rot90$/);
    expect(rotated.classes[1].name).toMatch(/rotated 90°/);
    expect(rotated.shape).toEqual({ height: 28, width: 28, channels: 1 });
  });

  it('computes the Vinyals split by rule exactly as the published split files', async () => {
    const t = tempDir();
    try {
      for (const split of ['train', 'val', 'test'] as const) {
        const fromFile = await loadOmniglot(OMNI, split, { rotations: false });
        const byRule = await loadOmniglot(OMNI, split, {
          rotations: false,
          splitsDir: join(t.dir, 'none'),
        }).catch((e: unknown) => e);
        expect(String(byRule)).toMatch(/cannot read Omniglot split file/); // an explicit folder must exist
        const chars = await readOmniglotChars(OMNI);
        const ruled = await loadOmniglotChars(chars, t.dir, split, { rotations: false });
        expect(ruled.classes.map((c) => c.id).sort()).toEqual(fromFile.classes.map((c) => c.id).sort());
      }
    } finally {
      t.cleanup();
    }
  });

  it("Lake's split: lake-train + lake-val = the 30 background alphabets, evaluation untouched", async () => {
    const [bg, ev, tr, va] = await Promise.all(
      (['background', 'evaluation', 'lake-train', 'lake-val'] as const).map((sp) =>
        loadOmniglot(OMNI, sp, { rotations: false }),
      ),
    );
    const ids = (d: FewShotDataset) => d.classes.map((c) => c.id);
    const alphabets = (d: FewShotDataset) => new Set(ids(d).map((i) => i.split('/')[0]));
    expect(new Set([...ids(tr), ...ids(va)])).toEqual(new Set(ids(bg)));
    expect(ids(tr).filter((i) => ids(va).includes(i))).toEqual([]);
    expect(alphabets(tr)).toEqual(alphabets(bg));
    expect(alphabets(bg).size).toBe(30);
    expect(alphabets(ev).size).toBe(20);
    expect([...alphabets(tr)].filter((a) => alphabets(ev).has(a))).toEqual([]);
    expect(ids(va).every((i) => /character\d*0$/.test(i))).toBe(true);
    expect(ids(tr).some((i) => /character\d*0$/.test(i))).toBe(false);
  });

  it('matches the PNG twins in images_background_small1.zip pixel for pixel (all 2720 images)', async () => {
    const npz = await loadOmniglot(OMNI, 'background', { imageSize: 105, rotations: false });
    const chars = await omniglotCharsFromZip(join(OMNI, 'png', 'images_background_small1.zip'));
    expect(chars.length).toBe(136);
    let compared = 0;
    for (const c of chars) {
      for (const d of c.drawers) {
        const png = await c.raw(d);
        const id = `${c.alphabet}/${c.character}/${String(c.charId).padStart(4, '0')}_${String(d).padStart(2, '0')}`;
        const fromNpz = await npz.getImage(id);
        expect(Buffer.compare(Buffer.from(png), Buffer.from(fromNpz)), id).toBe(0);
        compared++;
      }
    }
    expect(compared).toBe(2720);
    // And the same 28x28 bytes through either path.
    const small = await loadOmniglotChars(chars, OMNI, 'all', { rotations: false });
    const npz28 = await loadOmniglot(OMNI, 'background', { rotations: false });
    const id = small.classes[7].imageIds[3];
    expect(await small.getImage(id)).toEqual(await npz28.getImage(id));
  });

  it('keeps ink polarity: white background (255), black ink (0)', async () => {
    const ds = await loadOmniglot(OMNI, 'background', { imageSize: 105, rotations: false });
    const img = await ds.getImage(ds.classes[0].imageIds[0]);
    const white = img.reduce((n, v) => n + (v === 255 ? 1 : 0), 0);
    const black = img.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
    expect(white + black).toBe(105 * 105);
    expect(white).toBeGreaterThan(0.8 * 105 * 105);
    expect(black).toBeGreaterThan(50);
    const ds28 = await loadOmniglot(OMNI, 'background', { rotations: false });
    const small = await ds28.getImage(ds.classes[0].imageIds[0]);
    expect(small.length).toBe(28 * 28);
    expect(small).toEqual(resizeAreaGrey(img, 105, 105, 28, 28));
  });

  it('serves rotated classes as rotated images', async () => {
    const ds = await loadOmniglot(OMNI, 'val');
    const base = ds.classes.find((c) => !c.id.includes('@'))!;
    const r180 = ds.classes.find((c) => c.id === `${base.id}@rot180`)!;
    const a = await ds.getImage(base.imageIds[0]);
    expect(await ds.getImage(r180.imageIds[0])).toEqual(rotateSquare(a, 28, 1, 2));
  });

  it('names the split file when a split names an unknown class', async () => {
    const t = tempDir();
    try {
      writeFileSync(join(t.dir, 'train.txt'), 'Greek/character01\nKlingon/character01\n');
      const err = await loadOmniglot(OMNI, 'train', { splitsDir: t.dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as DataError).file).toBe(join(t.dir, 'train.txt'));
      expect(String(err)).toMatch(/line 2: split names unknown class 'Klingon\/character01'/);
    } finally {
      t.cleanup();
    }
  });
});

describe('Omniglot PNG layout (fixtures)', () => {
  const t = tempDir();
  const setDir = join(t.dir, 'images_background');
  const png = async (ink: number) => {
    const px = new Uint8Array(105 * 105).fill(255);
    for (let i = 0; i < ink; i++) px[1000 + i] = 0;
    return sharp(px, { raw: { width: 105, height: 105, channels: 1 } })
      .png()
      .toBuffer();
  };
  beforeAll(async () => {
    for (const [alpha, chars] of [
      ['Alpha', 2],
      ['Beta_(x)', 1],
    ] as const) {
      for (let c = 1; c <= chars; c++) {
        const dir = join(setDir, alpha, `character0${c}`);
        mkdirSync(dir, { recursive: true });
        const id = alpha === 'Alpha' ? c : 3;
        for (let d = 1; d <= 3; d++) writeFileSync(join(dir, `000${id}_0${d}.png`), await png(d * 10));
      }
    }
  });
  afterAll(() => t.cleanup());

  it('loads unzipped folders and the same data zipped, with the same ids and pixels', async () => {
    const ds = await loadOmniglot(t.dir, 'background', { rotations: false });
    expect(ds.classes.map((c) => c.id)).toEqual([
      'Alpha/character01',
      'Alpha/character02',
      'Beta_(x)/character01',
    ]);
    expect(ds.classes[2].imageIds).toEqual([
      'Beta_(x)/character01/0003_01',
      'Beta_(x)/character01/0003_02',
      'Beta_(x)/character01/0003_03',
    ]);
    expect(ds.classes[2].name).toBe('Beta (x), character01');
    const raw = await loadOmniglot(t.dir, 'background', { rotations: false, imageSize: 105 });
    const img = await raw.getImage('Alpha/character02/0002_02');
    expect(img.filter((v) => v === 0).length).toBe(20);

    const z = tempDir();
    try {
      const files: Record<string, Uint8Array> = {};
      for (const c of ds.classes)
        for (const id of c.imageIds) {
          const [a, ch, f] = id.split('/');
          files[`images_background/${a}/${ch}/${f}.png`] = await png(Number(f.slice(-1)) * 10);
        }
      writeFileSync(join(z.dir, 'images_background.zip'), zipSync(files));
      const zipped = await readOmniglotChars(z.dir);
      expect(zipped.map((c) => `${c.alphabet}/${c.character}`)).toEqual(ds.classes.map((c) => c.id));
      const zds = await loadOmniglot(z.dir, 'all', { rotations: [0, 270] });
      expect(zds.classes.length).toBe(6);
      expect(await zds.getImage('Alpha/character02/0002_02')).toEqual(
        await ds.getImage('Alpha/character02/0002_02'),
      );
    } finally {
      z.cleanup();
    }
  });

  it('names a corrupt PNG and a folder without data', async () => {
    const bad = join(setDir, 'Alpha', 'character01', '0001_02.png');
    const good = join(setDir, 'Alpha', 'character01', '0001_03.png');
    const ds = await loadOmniglot(t.dir, 'background', { rotations: false });
    writeFileSync(bad, Buffer.from('not a png at all'));
    await expect(ds.getImage('Alpha/character01/0001_02')).rejects.toThrow(bad);
    writeFileSync(good, Buffer.alloc(0));
    await expect(ds.getImage('Alpha/character01/0001_03')).rejects.toThrow(`${good}: image file is empty`);
    writeFileSync(bad, await png(5));
    writeFileSync(good, await png(5));
    const empty = tempDir();
    try {
      await expect(loadOmniglot(empty.dir, 'background')).rejects.toThrow(`${empty.dir}: no Omniglot data`);
    } finally {
      empty.cleanup();
    }
  });
});
