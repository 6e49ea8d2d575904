import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/index.js';
import { formatEpisodeId, parseEpisodeId } from '../../src/episodes/index.js';

describe('Rng (sfc32)', () => {
  it('gives fixed numbers for fixed keys, on any machine', () => {
    const r = Rng.fromKeys(42, 7);
    expect([r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()]).toEqual([
      1362605814, 1863708237, 20155533, 3725349842,
    ]);
    expect(Rng.fromKeys(0).getState()).toEqual({ s: [1965966075, 3153901131, 1984248227, 13] });
    expect(Rng.fromKeys(2 ** 53 - 1, -5).nextU32()).toBe(2294549477);
  });

  it('resumes exactly from a serialised state', () => {
    const a = Rng.fromKeys(3);
    for (let i = 0; i < 17; i++) a.float();
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const expected = Array.from({ length: 50 }, () => a.nextU32());
    const b = Rng.fromState(saved);
    expect(Array.from({ length: 50 }, () => b.nextU32())).toEqual(expected);
    expect(() => b.setState({ s: [1, 2, 3] as unknown as [number, number, number, number] })).toThrow(
      /invalid RngState/,
    );
  });

  it('draws in range and without repeats where asked', () => {
    const r = Rng.fromKeys(9);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70000; i++) counts[r.int(7)]++;
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(500);
    for (let i = 0; i < 1000; i++) {
      const f = r.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
    const s = r.sample(100, 30);
    expect(new Set(s).size).toBe(30);
    expect(s.every((v) => v >= 0 && v < 100)).toBe(true);
    expect(() => r.sample(3, 4)).toThrow();
    expect(Rng.fromKeys(1, 2).nextU32()).not.toBe(Rng.fromKeys(2, 1).nextU32());
  });
});

describe('episode identity strings', () => {
  it('round-trips and rejects malformed ids with the field named', () => {
    const spec = {
      dataset: 'tiny-imagenet-32',
      split: 'train',
      way: 5,
      shot: 5,
      query: 15,
      seed: 123,
      index: 4567,
    };
    const id = formatEpisodeId(spec);
    expect(id).toBe('tiny-imagenet-32:train:5:5:15:123:4567');
    expect(parseEpisodeId(id)).toEqual(spec);
    expect(parseEpisodeId('omniglot:test:20:1:0:-3:0').seed).toBe(-3);
    expect(() => parseEpisodeId('omniglot:train:5:1:15:1')).toThrow(/7 or 8 fields, got 6/);
    expect(() => parseEpisodeId('omniglot:train:five:1:15:1:0')).toThrow(/way 'five' is not an integer/);
    expect(() => parseEpisodeId('omniglot:train:0:1:15:1:0')).toThrow(/way must be an integer >= 1/);
    expect(() => parseEpisodeId('omniglot:train:5:1:15:1:-1')).toThrow(/index must be/);
    expect(() => formatEpisodeId({ ...spec, dataset: 'a:b' })).toThrow(/without ':'/);
  });
});
