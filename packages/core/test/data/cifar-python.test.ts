import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR100_HIERARCHY, loadCifarFewShot } from '../../src/data/cifar.js';
import { parsePickle, type NdArray } from '../../src/data/pickle.js';
import { tempDir } from './_data-dir.js';

const FINE = Object.values(CIFAR100_HIERARCHY).flat().sort();
const COARSE = Object.keys(CIFAR100_HIERARCHY).sort();

/** Writes what Python 2's cPickle (protocol 2) writes for the CIFAR-100 dicts: str keys, numpy arrays. */
class Py2Pickle {
  private parts: number[] = [0x80, 2];
  private u32(n: number) {
    this.parts.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  }
  op(...b: number[]) {
    this.parts.push(...b);
    return this;
  }
  str(s: string | Uint8Array) {
    const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
    if (b.length < 256) this.op(0x55, b.length);
    else {
      this.op(0x54);
      this.u32(b.length);
    }
    for (const x of b) this.parts.push(x);
    return this;
  }
  int(n: number) {
    if (n < 256) return this.op(0x4b, n);
    this.op(0x4a);
    this.u32(n);
    return this;
  }
  global(m: string, n: string) {
    return this.op(0x63, ...Buffer.from(`${m}\n${n}\n`, 'latin1'));
  }
  ndarrayU8(rows: number, cols: number, data: Uint8Array) {
    this.global('numpy.core.multiarray', '_reconstruct')
      .global('numpy', 'ndarray')
      .int(0)
      .op(0x85)
      .str('b')
      .op(0x87, 0x52);
    this.op(0x28).int(1).int(rows).int(cols).op(0x86);
    this.global('numpy', 'dtype').str('u1').int(0).int(1).op(0x87, 0x52);
    this.op(0x28)
      .int(3)
      .str('|')
      .op(0x4e, 0x4e, 0x4e)
      .op(0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff)
      .int(0)
      .op(0x74, 0x62);
    return this.op(0x89).str(data).op(0x74, 0x62);
  }
  list(items: (number | string)[]) {
    this.op(0x5d, 0x28);
    for (const x of items) {
      if (typeof x === 'number') this.int(x);
      else this.str(x);
    }
    return this.op(0x65);
  }
  bytes(): Uint8Array {
    return Uint8Array.from([...this.parts, 0x2e]);
  }
}

describe('CIFAR-100 Python distribution (pickle fixtures)', () => {
  const t = tempDir();
  const dir = join(t.dir, 'cifar-100-python');
  const pixel = (file: number, rec: number, byte: number) => (file * 101 + rec * 7 + byte) % 256;
  const batch = (file: number, perClass: number) => {
    const n = 100 * perClass;
    const data = new Uint8Array(n * 3072).map((_, k) => pixel(file, Math.floor(k / 3072), k % 3072));
    const fine = Array.from({ length: n }, (_, i) => i % 100);
    const coarse = fine.map((f) => COARSE.findIndex((c) => CIFAR100_HIERARCHY[c].includes(FINE[f])));
    const p = new Py2Pickle().op(0x7d, 0x28);
    p.str('filenames').list(fine.map((f, i) => `${FINE[f]}_${i}.png`));
    p.str('batch_label').str(`training batch 1 of 1`);
    p.str('fine_labels').list(fine);
    p.str('coarse_labels').list(coarse);
    p.str('data').ndarrayU8(n, 3072, data);
    return p.op(0x75).bytes();
  };
  beforeAll(() => {
    mkdirSync(join(dir, 'splits', 'fc100'), { recursive: true });
    writeFileSync(join(dir, 'train'), batch(0, 5));
    writeFileSync(join(dir, 'test'), batch(1, 1));
    writeFileSync(
      join(dir, 'meta'),
      new Py2Pickle()
        .op(0x7d, 0x28)
        .str('fine_label_names')
        .list(FINE)
        .str('coarse_label_names')
        .list(COARSE)
        .op(0x75)
        .bytes(),
    );
    writeFileSync(join(dir, 'splits', 'fc100', 'train.json'), JSON.stringify(['insects']));
  });
  afterAll(() => t.cleanup());

  it('reads the dicts and arrays and serves HWC images, pooling train and test', async () => {
    const ds = await loadCifarFewShot(dir, 'fc100', 'train');
    expect(ds.classes.map((c) => c.id)).toEqual(CIFAR100_HIERARCHY.insects);
    for (const c of ds.classes) expect(c.imageIds.length).toBe(6);
    const bee = FINE.indexOf('bee');
    const img = await ds.getImage(`train/${100 + bee}`);
    for (const p of [0, 500, 1023])
      for (let ch = 0; ch < 3; ch++) expect(img[p * 3 + ch]).toBe(pixel(0, 100 + bee, ch * 1024 + p));
  });

  it('names the file of a corrupt pickle', async () => {
    const bad = tempDir();
    try {
      const d = join(bad.dir, 'cifar-100-python');
      mkdirSync(join(d, 'splits', 'fc100'), { recursive: true });
      writeFileSync(join(d, 'splits', 'fc100', 'train.json'), '["insects"]');
      writeFileSync(
        join(d, 'meta'),
        new Py2Pickle()
          .op(0x7d, 0x28)
          .str('fine_label_names')
          .list(FINE)
          .str('coarse_label_names')
          .list(COARSE)
          .op(0x75)
          .bytes(),
      );
      writeFileSync(join(d, 'train'), batch(0, 1).subarray(0, 5000));
      writeFileSync(join(d, 'test'), batch(1, 1));
      await expect(loadCifarFewShot(d, 'fc100', 'train')).rejects.toThrow(
        `${join(d, 'train')}: corrupt CIFAR-100 Python pickle (truncated pickle`,
      );
    } finally {
      bad.cleanup();
    }
  });

  let python = false;
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    python = true;
  } catch {
    python = false;
  }
  it.skipIf(!python)(
    'reads what Python 3 + NumPy pickle, protocols 2 to 5 (skipped without python3 and numpy)',
    () => {
      for (const proto of [2, 3, 4, 5]) {
        const out = join(t.dir, `p${proto}.pkl`);
        const code = `import pickle, numpy as np
d = {b'data': np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072) % 251, b'fine_labels': [3, 99], b'names': [b'a', 'b\u00e9'], 'big': 2**40, 'f': 0.5}
open(${JSON.stringify(out)}, 'wb').write(pickle.dumps(d, protocol=${proto}))`;
        execFileSync('python3', ['-c', code]);
        const v = parsePickle(new Uint8Array(readFileSync(out)), out) as Map<string, unknown>;
        const data = v.get('data') as NdArray;
        expect(data.shape).toEqual([2, 3072]);
        expect(data.dtype).toBe('u1');
        expect(data.data[3000]).toBe((3000 % 256) % 251); // arange wraps in uint8 first
        expect(v.get('fine_labels')).toEqual([3, 99]);
        expect(v.get('big')).toBe(2 ** 40);
        expect(v.get('f')).toBe(0.5);
        expect((v.get('names') as unknown[])[1]).toBe('bé');
      }
    },
  );
});
