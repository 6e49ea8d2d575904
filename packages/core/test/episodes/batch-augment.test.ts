import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The gradient and chained-op registries, which initBackend loads (this test sets the backend itself).
import '@tensorflow/tfjs';
import { normalizeInto } from '../../src/data/index.js';
import { loadMiniImageNetLayout } from '../../src/data/mini-imagenet.js';
import { loadOmniglot } from '../../src/data/omniglot.js';
import { REFERENCE_NORM } from '../../src/data/types.js';
import { buildEpisodeArrays, sampleEpisode } from '../../src/episodes/index.js';
import {
  augmentInto,
  cropPadding,
  REFERENCE_AUGMENT,
  type AugmentConfig,
} from '../../src/episodes/augment.js';
import { buildEpisodeBatch } from '../../src/episodes/batch.js';
import { Rng } from '../../src/util/index.js';
import { DATA_DIR, HAVE_DATA } from '../data/_data-dir.js';
import { syntheticDataset } from './_synthetic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const NONE: AugmentConfig = { cropPadAt84: null, flip: false, jitter: null, erase: null };

describe('normalisation and batching', () => {
  it('normalises (x/255 - mean)/std per channel and replicates grey to 3 channels', () => {
    const grey = new Uint8Array([0, 255, 128, 10]);
    const out = new Float32Array(12);
    normalizeInto(grey, 2, 2, 1, REFERENCE_NORM, out, 0);
    for (let p = 0; p < 4; p++)
      for (let c = 0; c < 3; c++) expect(out[p * 3 + c]).toBeCloseTo((grey[p] / 255 - 0.92206) / 0.08426, 4);
    const rgb = new Uint8Array([10, 20, 30]);
    const norm = { mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2] } as const;
    const o = new Float32Array(3);
    normalizeInto(rgb, 1, 1, 3, norm, o, 0);
    expect([...o].map((v) => +v.toFixed(5))).toEqual(
      [(10 / 255 - 0.1) / 0.5, (20 / 255 - 0.2) / 0.25, (30 / 255 - 0.3) / 2].map((v) => +v.toFixed(5)),
    );
  });

  it('builds class-major NHWC float32 tensors with int32 labels; supports are never augmented', async () => {
    const ds = syntheticDataset({ classes: 10, perClass: 12, size: 8, channels: 1 });
    const ep = sampleEpisode(ds, {
      dataset: 'synth',
      split: 'train',
      way: 4,
      shot: 2,
      query: 3,
      seed: 5,
      index: 0,
    });
    const b = await buildEpisodeBatch(ds, ep);
    try {
      expect(b.support.shape).toEqual([8, 8, 8, 3]);
      expect(b.query.shape).toEqual([12, 8, 8, 3]);
      expect(b.support.dtype).toBe('float32');
      expect(b.queryLabels.dtype).toBe('int32');
      expect(await b.queryLabels.data()).toEqual(Int32Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]));
      expect(await b.supportLabels.data()).toEqual(Int32Array.from([0, 0, 1, 1, 2, 2, 3, 3]));
      expect([b.way, b.shot]).toEqual([4, 2]);
      const expected = new Float32Array(8 * 8 * 3);
      normalizeInto(await ds.getImage(ep.support[5].imageId), 8, 8, 1, REFERENCE_NORM, expected, 0);
      expect((await b.support.data()).slice(5 * 192, 6 * 192)).toEqual(expected);
    } finally {
      b.dispose();
    }
  });

  it('augments training queries deterministically from the episode identity; eval splits only normalise', async () => {
    const ds = syntheticDataset({ classes: 10, perClass: 12, size: 32, channels: 3 });
    const ep = sampleEpisode(ds, {
      dataset: 'synth',
      split: 'train',
      way: 5,
      shot: 1,
      query: 4,
      seed: 1,
      index: 2,
    });
    const a = await buildEpisodeArrays(ds, ep);
    const again = await buildEpisodeArrays(ds, ep);
    expect(again.queries).toEqual(a.queries);
    const plain = await buildEpisodeArrays(ds, ep, { augmentQueries: false });
    expect(plain.support).toEqual(a.support);
    expect(plain.queries).not.toEqual(a.queries);
    const other = await buildEpisodeArrays(ds, sampleEpisode(ds, { ...ep.spec, index: 3 }));
    expect(other.queries).not.toEqual(a.queries);
    const evalDs = syntheticDataset({ classes: 10, perClass: 12, size: 32, split: 'test' });
    const evalEp = sampleEpisode(evalDs, { ...ep.spec, split: 'test' });
    expect((await buildEpisodeArrays(evalDs, evalEp)).queries).toEqual(
      (await buildEpisodeArrays(evalDs, evalEp, { augmentQueries: false })).queries,
    );
  });
});

describe('augmentation ops', () => {
  const h = 6;
  const w = 6;
  const src = new Uint8Array(h * w * 3).map((_, k) => (k * 7) % 256);
  const ident = { mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255] } as const; // output = raw pixel value
  const run = (cfg: AugmentConfig, seed: number) => {
    const out = new Float32Array(h * w * 3);
    augmentInto(src, h, w, 3, ident, cfg, Rng.fromKeys(seed), out, 0, new Float32Array(h * w * 3));
    return out;
  };
  const at = (a: ArrayLike<number>, y: number, x: number, c: number) => a[(y * w + x) * 3 + c];

  it('with every op off, equals normalisation', () => {
    const out = run(NONE, 1);
    out.forEach((v, i) => expect(v).toBeCloseTo(src[i], 3));
  });

  it('flip mirrors the columns', () => {
    const seeds = [...Array(20).keys()].map((s) => run({ ...NONE, flip: true }, s));
    const flipped = seeds.filter((o) => Math.abs(o[0] - src[0]) > 1e-3);
    expect(flipped.length).toBeGreaterThan(3);
    expect(flipped.length).toBeLessThan(17);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) expect(at(flipped[0], y, x, 1)).toBeCloseTo(at(src, y, w - 1 - x, 1), 3);
  });

  it('crop pads with zeros and shifts by at most the scaled padding (8 px at 84 -> 3 at 32, 1 at 6)', () => {
    expect(cropPadding(84, REFERENCE_AUGMENT)).toBe(8);
    expect(cropPadding(32, REFERENCE_AUGMENT)).toBe(3);
    expect(cropPadding(28, REFERENCE_AUGMENT)).toBe(3);
    let sawShift = false;
    for (let s = 0; s < 30; s++) {
      const out = run({ ...NONE, cropPadAt84: 8 * 14 }, s); // 14*8*6/84 = 8 px padding at 6x6
      // Every output pixel is zero or some source pixel at the same channel.
      for (let i = 0; i < out.length; i++)
        expect(out[i] === 0 || [...src].some((v, k) => k % 3 === i % 3 && Math.abs(v - out[i]) < 1e-3)).toBe(
          true,
        );
      if (out.some((v) => v === 0)) sawShift = true;
    }
    expect(sawShift).toBe(true);
  });

  it('colour jitter keeps values in [0, 255] and changes them; erasing zeroes one rectangle', () => {
    const j = run({ ...NONE, jitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4 } }, 3);
    expect(j.every((v) => v >= -1e-3 && v <= 255 + 1e-3)).toBe(true);
    expect([...j].some((v, i) => Math.abs(v - src[i]) > 1)).toBe(true);
    let erased = 0;
    for (let s = 0; s < 40; s++) {
      const out = run({ ...NONE, erase: { p: 0.5, area: [0.02, 0.4], aspect: [0.3, 3.3] } }, s);
      const zeroPx = [...Array(h * w).keys()].filter(
        (p) => out[p * 3] === 0 && out[p * 3 + 1] === 0 && out[p * 3 + 2] === 0 && src[p * 3 + 1] !== 0,
      );
      if (zeroPx.length) {
        erased++;
        const ys = zeroPx.map((p) => Math.floor(p / w));
        const xs = zeroPx.map((p) => p % w);
        expect(zeroPx.length).toBeLessThanOrEqual(
          (Math.max(...ys) - Math.min(...ys) + 1) * (Math.max(...xs) - Math.min(...xs) + 1),
        );
      }
    }
    expect(erased).toBeGreaterThan(5);
    expect(erased).toBeLessThan(35);
  });
});

describe.skipIf(!HAVE_DATA)('batches from the real data', () => {
  it('Omniglot 20-way 5-shot: grey replicated, background normalises to about +0.93', async () => {
    const ds = await loadOmniglot(join(DATA_DIR, 'omniglot'), 'val');
    const ep = sampleEpisode(ds, {
      dataset: 'omniglot',
      split: 'val',
      way: 20,
      shot: 5,
      query: 15,
      seed: 0,
      index: 0,
    });
    const a = await buildEpisodeArrays(ds, ep);
    expect(a.support.length).toBe(100 * 28 * 28 * 3);
    expect(a.queries.length).toBe(300 * 28 * 28 * 3);
    const white = (1 - 0.92206) / 0.08426;
    expect(a.support[0]).toBeCloseTo(white, 4);
    for (let i = 0; i < a.support.length; i += 3) expect(a.support[i + 1]).toBe(a.support[i]);
  });

  it('tiny-imagenet-32 5-way 5-shot 15-query tensors', async () => {
    const ds = await loadMiniImageNetLayout(join(DATA_DIR, 'tiny-imagenet-32'), 'train', { imageSize: 32 });
    const ep = sampleEpisode(ds, {
      dataset: 'tiny-imagenet-32',
      split: 'train',
      way: 5,
      shot: 5,
      query: 15,
      seed: 4,
      index: 9,
    });
    const b = await buildEpisodeBatch(ds, ep);
    try {
      expect(b.support.shape).toEqual([25, 32, 32, 3]);
      expect(b.query.shape).toEqual([75, 32, 32, 3]);
      const q = await b.query.data();
      expect(q.every((v) => Number.isFinite(v))).toBe(true);
    } finally {
      b.dispose();
    }
  });
});
