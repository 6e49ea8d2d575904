import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { DataError, type FewShotDataset } from '../../src/data/index.js';
import { loadMiniImageNetLayout, readFilenameLabelCsv } from '../../src/data/mini-imagenet.js';
import { DATA_DIR, HAVE_DATA, tempDir } from './_data-dir.js';

const TINY = join(DATA_DIR, 'tiny-imagenet-32');
const images = (ds: FewShotDataset) => ds.classes.reduce((n, c) => n + c.imageIds.length, 0);

describe.skipIf(!HAVE_DATA)('mini-ImageNet layout on the real data', () => {
  it('tiny-imagenet-32: 128/32/40 disjoint classes of 120 images, readable names, kept at 32x32', async () => {
    const all = new Set<string>();
    let total = 0;
    for (const [split, n] of [
      ['train', 128],
      ['val', 32],
      ['test', 40],
    ] as const) {
      const ds = await loadMiniImageNetLayout(TINY, split, { imageSize: 32 });
      expect(ds.classes.length, split).toBe(n);
      for (const c of ds.classes) expect(c.imageIds.length).toBe(120);
      for (const c of ds.classes) all.add(c.id);
      total += images(ds);
    }
    expect(all.size).toBe(200);
    expect(total).toBe(24000);
    const val = await loadMiniImageNetLayout(TINY, 'val', { imageSize: 32 });
    expect(val.name).toBe('tiny-imagenet-32');
    const sal = val.classes.find((c) => c.id === 'n01629819')!;
    expect(sal.name).toBe('European fire salamander, Salamandra salamandra');
    const img = await val.getImage(sal.imageIds[0]);
    expect(img.length).toBe(32 * 32 * 3);
    // Not resampled: identical to a plain decode.
    const { data } = await sharp(join(TINY, 'images', sal.imageIds[0]))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(Buffer.compare(Buffer.from(img), data)).toBe(0);
  });

  it('the canonical mini-ImageNet split files: 64/16/20 classes of 600 images', async () => {
    for (const [split, n] of [
      ['train', 64],
      ['val', 16],
      ['test', 20],
    ] as const) {
      const parsed = await readFilenameLabelCsv(join(DATA_DIR, 'splits', 'mini-imagenet', `${split}.csv`));
      expect(parsed.classes.length, split).toBe(n);
      for (const c of parsed.classes) expect(c.files.length).toBe(600);
    }
  });
});

describe('mini-ImageNet layout (fixtures)', () => {
  const t = tempDir();
  const root = join(t.dir, 'mini');
  beforeAll(async () => {
    mkdirSync(join(root, 'images'), { recursive: true });
    const rows = ['filename,label'];
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 4; i++) {
        const f = `n0000000${c}_${i}.jpg`;
        const px = new Uint8Array(100 * 60 * 3).map((_, k) => (k * (c + 1) + i) % 256);
        writeFileSync(
          join(root, 'images', f),
          await sharp(px, { raw: { width: 100, height: 60, channels: 3 } })
            .jpeg()
            .toBuffer(),
        );
        rows.push(`${f},n0000000${c}`);
      }
    }
    writeFileSync(join(root, 'train.csv'), rows.join('\n') + '\n');
    writeFileSync(join(root, 'class_names.csv'), 'label,name\nn00000001,"thing, one"\n');
  });
  afterAll(() => t.cleanup());

  it('loads, resizes to 84x84 by default, names classes from class_names.csv when present', async () => {
    const ds = await loadMiniImageNetLayout(root, 'train');
    expect(ds.classes.map((c) => c.id)).toEqual(['n00000000', 'n00000001', 'n00000002']);
    expect(ds.classes[1].name).toBe('thing, one');
    expect(ds.classes[0].name).toBe('n00000000');
    expect(ds.shape).toEqual({ height: 84, width: 84, channels: 3 });
    expect((await ds.getImage('n00000002_3.jpg')).length).toBe(84 * 84 * 3);
    expect((await loadMiniImageNetLayout(root, 'train', { imageSize: 40 })).shape.height).toBe(40);
  });

  it('names the CSV and the file when a row points at an absent image', async () => {
    writeFileSync(join(root, 'val.csv'), 'filename,label\nn00000000_0.jpg,a\nmissing.jpg,a\n');
    const csv = join(root, 'val.csv');
    await expect(loadMiniImageNetLayout(root, 'val')).rejects.toThrow(
      `${csv}: line 3: image file 'missing.jpg' is absent from ${join(root, 'images')}`,
    );
    await expect(loadMiniImageNetLayout(root, 'test')).rejects.toThrow(
      `${join(root, 'test.csv')}: cannot read`,
    );
    writeFileSync(join(root, 'bad.csv'), 'file,label\nx,y\n');
    await expect(loadMiniImageNetLayout(root, 'bad')).rejects.toBeInstanceOf(DataError);
  });

  it('names a corrupt or deleted image when it is decoded', async () => {
    const ds = await loadMiniImageNetLayout(root, 'train');
    const corrupt = join(root, 'images', 'n00000000_1.jpg');
    writeFileSync(corrupt, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]));
    await expect(ds.getImage('n00000000_1.jpg')).rejects.toThrow(`${corrupt}: cannot decode image`);
    const gone = join(root, 'images', 'n00000000_2.jpg');
    rmSync(gone);
    await expect(ds.getImage('n00000000_2.jpg')).rejects.toThrow(`${gone}: image file is missing`);
  });
});
