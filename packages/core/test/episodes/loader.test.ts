import { describe, expect, it } from 'vitest';
import { DecodeCache, preloadDataset } from '../../src/data/index.js';
import { buildEpisodeArrays, episodeStream, sampleEpisode } from '../../src/episodes/index.js';
import { syntheticDataset } from './_synthetic.js';

describe('episodeStream and preloadDataset', () => {
  const ds = syntheticDataset({ classes: 12, perClass: 10, size: 8 });
  const base = { dataset: 'synth', split: 'train', way: 3, shot: 2, query: 2, seed: 4 };

  it('yields the same episodes and arrays as building them one by one, whatever the prefetch depth', async () => {
    for (const prefetch of [0, 1, 3]) {
      const got = [];
      for await (const b of episodeStream(ds, base, 5, 4, { prefetch })) got.push(b);
      expect(got.map((b) => b.episode.spec.index)).toEqual([5, 6, 7, 8]);
      for (const b of got) {
        expect(b.episode).toEqual(sampleEpisode(ds, b.episode.spec));
        expect(b.arrays).toEqual(await buildEpisodeArrays(ds, b.episode));
      }
    }
  });

  it('surfaces a failing image when its episode is reached', async () => {
    const broken = {
      ...ds,
      getImage: (id: string) =>
        id.startsWith('c3/') ? Promise.reject(new Error(`bad ${id}`)) : ds.getImage(id),
    };
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const b of episodeStream(broken, base, 0, 50, { prefetch: 2 }))
          seen.push(b.episode.spec.index);
      })(),
    ).rejects.toThrow(/bad c3\//);
    expect(seen.length).toBeLessThan(50);
  });

  it('preloads every image once, bounded concurrency', async () => {
    const cache = new DecodeCache();
    let calls = 0;
    let inflight = 0;
    let peak = 0;
    const counted = {
      ...ds,
      getImage: (id: string) =>
        cache.get(id, async () => {
          calls++;
          peak = Math.max(peak, ++inflight);
          await new Promise((r) => setTimeout(r, 1));
          inflight--;
          return ds.getImage(id);
        }),
    };
    const progress: number[] = [];
    const r = await preloadDataset(counted, { concurrency: 4, onProgress: (d) => progress.push(d) });
    expect(r.images).toBe(120);
    expect(calls).toBe(120);
    expect(peak).toBeLessThanOrEqual(4);
    expect(progress.at(-1)).toBe(120);
    await preloadDataset(counted);
    expect(calls).toBe(120);
    expect(cache.size).toBe(120);
  });
});
