import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../../src/data/index.js';
import {
  CIFAR100_HIERARCHY,
  CIFAR_RECORD,
  loadCifarFewShot,
  readCifarFsSplit,
  readFc100Split,
} from '../../src/data/cifar.js';
import { DATA_DIR, HAVE_DATA, tempDir } from './_data-dir.js';

const SPLITS = join(DATA_DIR, 'splits');
const FINE = Object.values(CIFAR100_HIERARCHY).flat().sort();
const COARSE = Object.keys(CIFAR100_HIERARCHY).sort();
const superOf = (fine: string) => COARSE.find((s) => CIFAR100_HIERARCHY[s].includes(fine))!;

describe.skipIf(!HAVE_DATA)('CIFAR-FS and FC100 split files (real)', () => {
  it('CIFAR-FS: 64/16/20 classes, disjoint, all of CIFAR-100, pairs agree with the hierarchy', async () => {
    const all: string[] = [];
    for (const [split, n] of [
      ['train', 64],
      ['val', 16],
      ['test', 20],
    ] as const) {
      const classes = await readCifarFsSplit(join(SPLITS, 'cifar-fs', `${split}.json`));
      expect(classes.length, split).toBe(n);
      all.push(...classes);
    }
    expect(new Set(all).size).toBe(100);
    expect([...all].sort()).toEqual(FINE);
  });

  it('FC100: 12/4/4 superclasses = 60/20/20 classes, disjoint', async () => {
    const all: string[] = [];
    for (const [split, n] of [
      ['train', 60],
      ['val', 20],
      ['test', 20],
    ] as const) {
      const classes = await readFc100Split(join(SPLITS, 'fc100', `${split}.json`));
      expect(classes.length, split).toBe(n);
      all.push(...classes);
    }
    expect(new Set(all).size).toBe(100);
  });
});

describe('CIFAR-100 binary distribution (fixtures in the exact format)', () => {
  const t = tempDir();
  const bin = join(t.dir, 'cifar-100-binary');
  // Per class 4 train records and 2 test records; pixel bytes encode (file, record, channel, position).
  const pixel = (rec: number, ch: number, pos: number) => (rec * 7 + ch * 50 + pos) % 256;
  const recordsFor = (n: number, offset: number) => {
    const buf = new Uint8Array(100 * n * CIFAR_RECORD);
    let r = 0;
    for (let k = 0; k < n; k++) {
      for (let f = 0; f < 100; f++, r++) {
        const o = r * CIFAR_RECORD;
        buf[o] = COARSE.indexOf(superOf(FINE[f]));
        buf[o + 1] = f;
        for (let ch = 0; ch < 3; ch++)
          for (let p = 0; p < 1024; p++) buf[o + 2 + ch * 1024 + p] = pixel(r + offset, ch, p);
      }
    }
    return buf;
  };
  beforeAll(() => {
    mkdirSync(join(bin, 'splits', 'cifar-fs'), { recursive: true });
    mkdirSync(join(bin, 'splits', 'fc100'), { recursive: true });
    writeFileSync(join(bin, 'train.bin'), recordsFor(4, 0));
    writeFileSync(join(bin, 'test.bin'), recordsFor(2, 1000));
    writeFileSync(join(bin, 'fine_label_names.txt'), FINE.join('\n') + '\n');
    writeFileSync(join(bin, 'coarse_label_names.txt'), COARSE.join('\n') + '\n');
    writeFileSync(
      join(bin, 'splits', 'cifar-fs', 'train.json'),
      JSON.stringify([
        ['fish', 'ray'],
        ['people', 'baby'],
        ['trees', 'oak_tree'],
      ]),
    );
    writeFileSync(join(bin, 'splits', 'cifar-fs', 'val.json'), JSON.stringify([['fish', 'unicorn']]));
    writeFileSync(join(bin, 'splits', 'fc100', 'test.json'), JSON.stringify(['people', 'vehicles_2']));
  });
  afterAll(() => t.cleanup());

  it('CIFAR-FS pools train.bin and test.bin and converts channel-major records to HWC', async () => {
    const ds = await loadCifarFewShot(bin, 'cifar-fs', 'train');
    expect(ds.classes.map((c) => c.id)).toEqual(['ray', 'baby', 'oak_tree']);
    expect(ds.classes[2].name).toBe('oak tree');
    for (const c of ds.classes) expect(c.imageIds.length).toBe(6);
    expect(ds.shape).toEqual({ height: 32, width: 32, channels: 3 });
    const f = FINE.indexOf('ray');
    const id = `test/${100 + f}`; // second test record of 'ray'
    expect(ds.classes[0].imageIds).toContain(id);
    const img = await ds.getImage(id);
    for (const p of [0, 1, 33, 1023])
      for (let ch = 0; ch < 3; ch++) expect(img[p * 3 + ch]).toBe(pixel(100 + f + 1000, ch, p));
    const big = await loadCifarFewShot(bin, 'cifar-fs', 'train', { imageSize: 84 });
    expect((await big.getImage(id)).length).toBe(84 * 84 * 3);
  });

  it('FC100 takes every class of its superclasses', async () => {
    const ds = await loadCifarFewShot(bin, 'fc100', 'test');
    expect(ds.classes.map((c) => c.id)).toEqual([
      ...CIFAR100_HIERARCHY.people,
      ...CIFAR100_HIERARCHY.vehicles_2,
    ]);
  });

  it('names the file for unknown classes and corrupt binaries', async () => {
    const val = join(bin, 'splits', 'cifar-fs', 'val.json');
    await expect(loadCifarFewShot(bin, 'cifar-fs', 'val')).rejects.toThrow(
      `${val}: entry 0: split names unknown class 'unicorn'`,
    );
    writeFileSync(val, JSON.stringify([['people', 'ray']]));
    await expect(loadCifarFewShot(bin, 'cifar-fs', 'val')).rejects.toThrow(/belongs to superclass 'fish'/);
    writeFileSync(join(bin, 'splits', 'fc100', 'val.json'), JSON.stringify(['dragons']));
    await expect(loadCifarFewShot(bin, 'fc100', 'val')).rejects.toBeInstanceOf(DataError);

    const bad = tempDir();
    try {
      const dir = join(bad.dir, 'cifar-100-binary');
      mkdirSync(join(dir, 'splits', 'cifar-fs'), { recursive: true });
      writeFileSync(join(dir, 'train.bin'), recordsFor(1, 0).subarray(0, CIFAR_RECORD * 3 - 5));
      writeFileSync(join(dir, 'test.bin'), recordsFor(1, 0));
      writeFileSync(join(dir, 'fine_label_names.txt'), FINE.join('\n'));
      writeFileSync(join(dir, 'coarse_label_names.txt'), COARSE.join('\n'));
      writeFileSync(join(dir, 'splits', 'cifar-fs', 'train.json'), '[["fish","ray"]]');
      await expect(loadCifarFewShot(dir, 'cifar-fs', 'train')).rejects.toThrow(
        `${join(dir, 'train.bin')}: corrupt CIFAR-100 binary`,
      );
      writeFileSync(join(dir, 'splits', 'cifar-fs', 'test.json'), '[["fish", ');
      await expect(loadCifarFewShot(dir, 'cifar-fs', 'test')).rejects.toThrow(
        `${join(dir, 'splits', 'cifar-fs', 'test.json')}: invalid JSON`,
      );
    } finally {
      bad.cleanup();
    }
  });
});
