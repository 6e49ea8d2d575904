/**
 * `predict` on a user's files: the checkpoint's input treatment reproduces the training loader's pixels
 * (real Omniglot PNGs), the domain check flags colour photos and inverted strokes, and predictions on a
 * support folder and query files add up, chunk for chunk, without leaking tensors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { unzipSync } from 'fflate';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { domainWarning, inputSpecOf, preprocessImageFile, MINI_IMAGENET_NORM } from '../../src/data/index.js';
import { loadOmniglotChars, omniglotCharsFromZip } from '../../src/data/omniglot.js';
import { REFERENCE_NORM } from '../../src/data/types.js';
import { explainFiles } from '../../src/explain/index.js';
import { encodeNetpbm } from '../../src/io/index.js';
import { RCN } from '../../src/model/index.js';
import { predictFiles, readQueryInputs, readSupportFolder } from '../../src/predict/index.js';
import { Rng } from '../../src/util/rng.js';
import { DATA_DIR, HAVE_DATA, tempDir } from '../data/_data-dir.js';

const omniMeta = {
  model: { imageSize: 28 },
  dataset: 'omniglot',
  normalization: { mean: [...REFERENCE_NORM.mean], std: [...REFERENCE_NORM.std] },
};

describe('input treatment of a checkpoint', () => {
  it('reads extra.input, else infers Omniglot from the dataset name', () => {
    expect(inputSpecOf(omniMeta)).toMatchObject({ channels: 1, resize: 'omniglot', size: 28 });
    expect(inputSpecOf({ ...omniMeta, dataset: '/data/mine' })).toMatchObject({
      channels: 3,
      resize: 'lanczos3',
    });
    expect(
      inputSpecOf({ ...omniMeta, dataset: 'x', extra: { input: { channels: 1, resize: 'lanczos3' } } }),
    ).toMatchObject({ channels: 1, resize: 'lanczos3' });
    // No recorded normalisation: refused, never silently given mini-ImageNet's (or any dataset's) statistics.
    expect(() => inputSpecOf({ model: { imageSize: 32 } })).toThrow(/normalisation/);
    expect(() =>
      inputSpecOf({ model: { imageSize: 32 }, normalization: { mean: [0.5, 0.5], std: [1, 1] } }),
    ).toThrow(/normalisation/);
  });
});

describe.skipIf(!HAVE_DATA)('Omniglot treatment on real PNGs', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it("gives the loader's exact pixels; photos and inverted strokes are flagged, drawings are not", async () => {
    const zip = join(DATA_DIR, 'omniglot', 'png', 'images_background_small1.zip');
    const chars = await omniglotCharsFromZip(zip);
    const ds = await loadOmniglotChars(chars, zip, 'all', { rotations: false });
    const files = unzipSync(readFileSync(zip), { filter: (f) => f.name.endsWith('.png') });
    const names = Object.keys(files)
      .sort()
      .filter((_n, i) => i % 97 === 0)
      .slice(0, 12);
    const spec = inputSpecOf(omniMeta);
    for (const [i, name] of names.entries()) {
      const parts = name.split('/');
      const [charId, drawer] = parts[3].replace('.png', '').split('_');
      const id = `${parts[1]}/${parts[2]}/${charId}_${drawer}`;
      const path = join(t.dir, `q${i}.png`);
      writeFileSync(path, files[name]);
      const got = await preprocessImageFile(path, spec);
      expect(Buffer.compare(Buffer.from(got.pixels), Buffer.from(await ds.getImage(id))), id).toBe(0);
      expect(domainWarning(got.stats, spec), id).toBeNull();
      // The same drawing, white on black.
      const inv = await sharp(files[name]).negate({ alpha: false }).png().toBuffer();
      writeFileSync(join(t.dir, 'inv.png'), inv);
      expect(domainWarning((await preprocessImageFile(join(t.dir, 'inv.png'), spec)).stats, spec)).toMatch(
        /inverted colours\?/,
      );
    }
    // A colour "photo": smooth colourful noise.
    const rng = Rng.fromKeys(4);
    const photo = await sharp(
      Uint8Array.from({ length: 16 * 16 * 3 }, () => rng.int(256)),
      {
        raw: { width: 16, height: 16, channels: 3 },
      },
    )
      .resize(64, 64)
      .jpeg()
      .toBuffer();
    writeFileSync(join(t.dir, 'photo.jpg'), photo);
    expect(domainWarning((await preprocessImageFile(join(t.dir, 'photo.jpg'), spec)).stats, spec)).toMatch(
      /colour image .* grey images/,
    );
  });
});

describe('predictFiles on folders of files', () => {
  const t = tempDir();
  const support = join(t.dir, 'support');
  const queries = join(t.dir, 'queries');
  beforeAll(async () => {
    await initBackend('wasm');
    for (const [ci, c] of ['circle', 'cross', 'bar'].entries()) {
      mkdirSync(join(support, c), { recursive: true });
      mkdirSync(join(queries, c), { recursive: true });
      for (let i = 0; i < 4; i++) {
        const data = Uint8Array.from({ length: 30 * 30 }, (_v, p) => ((p % 30) + ci * 40 + i * 7) % 256);
        const file = encodeNetpbm({ width: 30, height: 30, channels: 1, data });
        writeFileSync(join(i < 2 ? support : queries, c, `${i}.pgm`), file);
      }
    }
    writeFileSync(join(support, 'bar', 'notes.txt'), 'x');
  });
  afterAll(() => t.cleanup());

  it('reads the sets, labels queries from class folders, and answers the same in any chunking', async () => {
    const s = await readSupportFolder(support);
    expect(s).toMatchObject({ classes: ['bar', 'circle', 'cross'], shot: 2, skipped: { '.txt': 1 } });
    const q = await readQueryInputs([queries]);
    expect(q.files.map((f) => f.label)).toEqual(['bar', 'bar', 'circle', 'circle', 'cross', 'cross']);
    const single = await readQueryInputs([join(queries, 'bar', '2.pgm')]);
    expect(single.files).toEqual([{ path: join(queries, 'bar', '2.pgm'), label: null }]);

    const model = new RCN({
      backbone: 'conv4',
      widths: [8, 8, 8, 8],
      imageSize: 28,
      seed: 1,
      bnInference: 'running',
    });
    const spec = inputSpecOf({
      model: { imageSize: 28 },
      dataset: 'mine',
      normalization: { mean: [...MINI_IMAGENET_NORM.mean], std: [...MINI_IMAGENET_NORM.std] },
    });
    try {
      await explainFiles(model, spec, s, q.files.slice(0, 1)); // builds cached poolers
      const before = tf.memory().numTensors;
      const all = await explainFiles(model, spec, s, q.files);
      const chunked = await predictFiles(model, spec, s, q.files, { chunk: 4 });
      expect(tf.memory().numTensors).toBe(before);
      expect(all.queries).toHaveLength(6);
      expect(all.explanations).toHaveLength(1);
      expect(all.explanations[0].ram.queries).toBe(6);
      for (const [i, p] of all.queries.entries()) {
        expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(p.predicted).toBe(all.classes[p.probabilities.indexOf(Math.max(...p.probabilities))]);
        expect(p.correct).toBe(p.predicted === p.trueLabel);
        chunked.queries[i].probabilities.forEach((v, k) => expect(v).toBeCloseTo(p.probabilities[k], 5));
      }
      expect(all.accuracy).toBe(all.queries.filter((x) => x.correct).length / 6);
    } finally {
      model.dispose();
    }
  });

  it('refuses uneven shots and unsupported query files, naming them', async () => {
    writeFileSync(join(support, 'cross', 'extra.pgm'), readFileSync(join(support, 'cross', '0.pgm')));
    await expect(readSupportFolder(support)).rejects.toThrow(
      `${support}: every class needs the same number of support images (the shot): bar 2, circle 2, cross 3`,
    );
    writeFileSync(join(t.dir, 'q.bmp'), 'BM');
    await expect(readQueryInputs([join(t.dir, 'q.bmp')])).rejects.toThrow(
      /q\.bmp: unsupported image extension '\.bmp'/,
    );
  });
});
