/**
 * Users' image folders: PGM/PPM (the four netpbm forms, 8 and 16 bit) decoded like any other image, files
 * of other extensions reported, the seeded class split, and discovery by name or path. Fixtures are
 * written in the real on-disk formats into a temp folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  discoverDatasets,
  findDatasets,
  formatSkipped,
  imageExtensions,
  openDataset,
  seededClassSplit,
} from '../../src/data/index.js';
import { decodeImage, decodeImageFile } from '../../src/data/image.js';
import { loadImageFolder } from '../../src/data/folder.js';
import { decodeNetpbm, encodeNetpbm } from '../../src/io/index.js';
import { sampleEpisode } from '../../src/episodes/index.js';
import { tempDir } from './_data-dir.js';

/** A 4x3 test pattern (distinct values), grey or RGB. */
function pattern(channels: 1 | 3): Uint8Array {
  return Uint8Array.from({ length: 4 * 3 * channels }, (_, i) => (i * 37 + 11) % 256);
}

function asciiNetpbm(magic: 'P2' | 'P3', data: Uint8Array, maxval: number): Uint8Array {
  const samples = [...data].map((v) => Math.round((v * maxval) / 255));
  return new TextEncoder().encode(`${magic}\n# a comment\n4 3\n${maxval}\n${samples.join(' ')}\n`);
}

describe('netpbm decoding', () => {
  it('reads P2, P5 (8 and 16 bit), P3 and P6 to the same pixels', () => {
    const grey = pattern(1);
    const rgb = pattern(3);
    for (const [bytes, want, what] of [
      [asciiNetpbm('P2', grey, 255), grey, 'P2'],
      [encodeNetpbm({ width: 4, height: 3, channels: 1, data: grey }), grey, 'P5'],
      [encodeNetpbm({ width: 4, height: 3, channels: 1, data: grey }, 65535), grey, 'P5 16-bit'],
      [asciiNetpbm('P2', grey, 65535), grey, 'P2 16-bit'],
      [asciiNetpbm('P3', rgb, 255), rgb, 'P3'],
      [encodeNetpbm({ width: 4, height: 3, channels: 3, data: rgb }), rgb, 'P6'],
      [encodeNetpbm({ width: 4, height: 3, channels: 3, data: rgb }, 4095), rgb, 'P6 12-bit'],
    ] as const) {
      const img = decodeNetpbm(bytes);
      expect([img.width, img.height, img.channels], what).toEqual([4, 3, want === grey ? 1 : 3]);
      expect([...img.data], what).toEqual([...want]);
    }
  });

  it('a low maxval is scaled to 0..255', () => {
    const img = decodeNetpbm(new TextEncoder().encode('P2 2 1 15 0 15'));
    expect([...img.data]).toEqual([0, 255]);
  });

  it('a PGM decodes through the pipeline exactly as the same pixels in a PNG do', async () => {
    const px = Uint8Array.from({ length: 40 * 30 }, (_, i) => (i * 7) % 256);
    const pgm = encodeNetpbm({ width: 40, height: 30, channels: 1, data: px });
    const png = await sharp(px, { raw: { width: 40, height: 30, channels: 1 } })
      .png()
      .toBuffer();
    for (const channels of [1, 3] as const) {
      const a = await decodeImage(pgm, 'a.pgm', { size: 16, channels });
      const b = await decodeImage(png, 'a.png', { size: 16, channels });
      expect(a.length).toBe(16 * 16 * channels);
      expect([...a]).toEqual([...b]);
    }
  });

  it('a truncated file is an error naming it', async () => {
    const t = tempDir();
    try {
      const full = encodeNetpbm({ width: 8, height: 8, channels: 1, data: new Uint8Array(64) });
      writeFileSync(join(t.dir, 'cut.pgm'), full.subarray(0, full.length - 10));
      await expect(decodeImageFile(join(t.dir, 'cut.pgm'), { size: 8, channels: 1 })).rejects.toThrow(
        `${join(t.dir, 'cut.pgm')}: cannot decode image (truncated: 54 raster bytes, expected 64 for 8x8)`,
      );
    } finally {
      t.cleanup();
    }
  });
});

describe('image folders (fixtures)', () => {
  const t = tempDir();
  // A face set in the classic layout: s1..s7, ten 92x112 PGMs each; one class also has PNGs.
  const faces = join(t.dir, 'faces');
  beforeAll(async () => {
    for (let c = 1; c <= 7; c++) {
      mkdirSync(join(faces, `s${c}`), { recursive: true });
      for (let i = 1; i <= 10; i++) {
        const data = new Uint8Array(92 * 112).fill(c * 30 + i);
        writeFileSync(
          join(faces, `s${c}`, `${i}.pgm`),
          encodeNetpbm({ width: 92, height: 112, channels: 1, data }),
        );
      }
    }
    writeFileSync(join(faces, 's1', 'README'), 'about s1');
    writeFileSync(join(faces, 's2', 'scan.bmp'), 'BM');
    writeFileSync(join(faces, 's2', 'scan2.bmp'), 'BM');
    writeFileSync(join(faces, 's2', '.DS_Store'), '');
    const png = await sharp(new Uint8Array(20 * 20 * 3).fill(9), {
      raw: { width: 20, height: 20, channels: 3 },
    })
      .png()
      .toBuffer();
    writeFileSync(join(faces, 's3', 'extra.PNG'), png);
    // Only unsupported files: the error says what was found and what is read.
    mkdirSync(join(t.dir, 'bmps', 'a'), { recursive: true });
    mkdirSync(join(t.dir, 'bmps', 'b'), { recursive: true });
    for (const c of ['a', 'b'])
      for (let i = 0; i < 3; i++) writeFileSync(join(t.dir, 'bmps', c, `${i}.bmp`), 'BM');
  });
  afterAll(() => t.cleanup());

  it('supported extensions come from sharp plus netpbm', () => {
    for (const x of ['.jpg', '.png', '.webp', '.tif', '.gif', '.avif', '.pgm', '.ppm'])
      expect(imageExtensions().has(x)).toBe(true);
    expect(imageExtensions().has('.bmp')).toBe(false);
  });

  it('reads PGM classes, reports the other files by extension', async () => {
    const all = await loadImageFolder(faces);
    expect(all.classes.map((c) => `${c.id}:${c.imageIds.length}`)).toEqual([
      's1:10',
      's2:10',
      's3:11',
      's4:10',
      's5:10',
      's6:10',
      's7:10',
    ]);
    expect(all.skipped).toEqual({ '(none)': 1, '.bmp': 2 });
    expect(all.classes[1].skipped).toEqual({ '.bmp': 2 });
    expect(formatSkipped(all.skipped)).toMatch(
      /^3 files not read \(\.bmp x2, \(none\) x1\); supported: .*\.pgm/,
    );
    const px = await all.getImage('s2/3.pgm');
    expect(px.length).toBe(84 * 84 * 3);
    expect(px.every((v) => v === 2 * 30 + 3)).toBe(true);
  });

  it('a class of only unsupported files: the error names the folder and the extensions', async () => {
    const ds = await loadImageFolder(join(t.dir, 'bmps'));
    expect(() =>
      sampleEpisode(ds, { dataset: 'bmps', split: 'all', way: 2, shot: 1, query: 1, seed: 0, index: 0 }),
    ).toThrow(
      `${join(t.dir, 'bmps', 'a')}: class 'a' has 0 images, fewer than shot + query = 2; 3 files not read (.bmp x3); supported:`,
    );
  });

  it('without a split file: train/val/test by the seeded rule, disjoint, covering, stable', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `c${i}`);
    const s = seededClassSplit(names);
    expect([s.train.length, s.val.length, s.test.length]).toEqual([64, 16, 20]);
    expect(new Set([...s.train, ...s.val, ...s.test]).size).toBe(100);
    expect(seededClassSplit([...names].reverse())).toEqual(s); // input order does not matter
    expect(seededClassSplit(names, 1)).not.toEqual(s);
    const splits = await Promise.all(['train', 'val', 'test'].map((sp) => loadImageFolder(faces, sp)));
    const ids = splits.map((d) => d.classes.map((c) => c.id));
    expect(ids.map((x) => x.length)).toEqual([4, 1, 2]); // round(4.48), round(1.12), rest
    expect(new Set(ids.flat()).size).toBe(7);
    expect(ids).toEqual(Object.values(seededClassSplit(['s1', 's2', 's3', 's4', 's5', 's6', 's7'])));
  });

  it('is listed by `datasets` under the data folder and opens by name or by path', async () => {
    const found = await findDatasets(t.dir);
    const e = found.find((d) => d.name === 'faces');
    expect(e).toMatchObject({ format: 'image-folder', path: faces, splits: ['train', 'val', 'test', 'all'] });
    expect(e?.note).toMatch(/seeded/);
    expect(e?.skipped).toEqual({ '(none)': 1, '.bmp': 2 });
    expect(e?.summary?.find((x) => x.split === 'all')).toEqual({ split: 'all', classes: 7, images: 71 });
    expect((await discoverDatasets(t.dir)).map((d) => d.name)).toContain('bmps');
    const byName = await openDataset('faces', 'train', { dataDir: t.dir, imageSize: 28 });
    const byPath = await openDataset(faces, 'train', { dataDir: join(t.dir, 'nowhere'), imageSize: 28 });
    expect(byPath.classes.map((c) => c.id)).toEqual(byName.classes.map((c) => c.id));
    expect(byPath.name).toBe(faces);
    await expect(openDataset(faces, 'holdout', { dataDir: t.dir })).rejects.toThrow(
      `${faces}: image folder has no split 'holdout' (has: train, val, test, all)`,
    );
  });
});
