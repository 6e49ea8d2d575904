import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { type FewShotDataset } from '../../src/data/index.js';
import { loadMiniImageNetLayout } from '../../src/data/mini-imagenet.js';
import { loadOmniglot } from '../../src/data/omniglot.js';
import { parseEpisodeId, sampleEpisode, type Episode, type EpisodeSpec } from '../../src/episodes/index.js';
import { episodeFromJSON, sampleEpisodes } from '../../src/episodes/sampler.js';
import { DATA_DIR, HAVE_DATA } from '../data/_data-dir.js';
import { syntheticDataset } from './_synthetic.js';

const index = new WeakMap<FewShotDataset, Map<string, Set<string>>>();

function checkEpisode(ds: FewShotDataset, ep: Episode): void {
  const { way, shot, query } = ep.spec;
  expect(ep.classes.length).toBe(way);
  expect(new Set(ep.classes.map((c) => c.id)).size).toBe(way);
  expect(ep.support.length).toBe(way * shot);
  expect(ep.query.length).toBe(way * query);
  // Class-major, labels by sampled class order, image belongs to its class.
  ep.support.forEach((s, i) => expect(s.label).toBe(Math.floor(i / shot)));
  ep.query.forEach((q, i) => expect(q.label).toBe(Math.floor(i / query)));
  let byId = index.get(ds);
  if (!byId) index.set(ds, (byId = new Map(ds.classes.map((c) => [c.id, new Set(c.imageIds)]))));
  for (const im of [...ep.support, ...ep.query]) {
    expect(im.classId).toBe(ep.classes[im.label].id);
    expect(byId.get(im.classId)!.has(im.imageId)).toBe(true);
  }
  const ids = [...ep.support, ...ep.query].map((i) => i.imageId);
  expect(new Set(ids).size).toBe(ids.length); // support and query disjoint, no repeats
}

describe('episode sampler (synthetic)', () => {
  const ds = syntheticDataset({ classes: 30, perClass: 25 });
  const base = { dataset: 'synth', split: 'train', way: 5, shot: 3, query: 7 };

  it('is deterministic, disjoint and class-major over many seeds', () => {
    for (let seed = 0; seed < 200; seed++) {
      const spec: EpisodeSpec = { ...base, seed, index: seed * 7 };
      const a = sampleEpisode(ds, spec);
      expect(sampleEpisode(ds, spec)).toEqual(a);
      checkEpisode(ds, a);
    }
    const a = sampleEpisode(ds, { ...base, seed: 1, index: 0 });
    expect(sampleEpisode(ds, { ...base, seed: 2, index: 0 })).not.toEqual(a);
    expect(sampleEpisode(ds, { ...base, seed: 1, index: 1 })).not.toEqual(a);
  });

  it('has a fixed output for a fixed identity (cross-machine golden)', () => {
    const ep = sampleEpisode(ds, { ...base, way: 3, shot: 1, query: 1, seed: 7, index: 11 });
    expect(ep.classes.map((c) => c.id)).toEqual(GOLDEN.classes);
    expect(ep.support.map((s) => s.imageId)).toEqual(GOLDEN.support);
    expect(ep.query.map((s) => s.imageId)).toEqual(GOLDEN.query);
  });

  it('rebuilds an episode from its id alone and survives JSON', () => {
    const many = [...sampleEpisodes(ds, { ...base, seed: 99 }, 10, 5)];
    expect(many.map((e) => e.spec.index)).toEqual([10, 11, 12, 13, 14]);
    const e = many[3];
    expect(sampleEpisode(ds, parseEpisodeId(e.id))).toEqual(e);
    const back = episodeFromJSON(JSON.parse(JSON.stringify(e)));
    expect(back).toEqual(e);
    expect(() => episodeFromJSON({ ...e, id: 'synth:train:5:3:7:99:0' })).toThrow(/does not match its spec/);
  });

  it('rejects a spec for another dataset and impossible requests', () => {
    expect(() => sampleEpisode(ds, { ...base, dataset: 'other', seed: 1, index: 0 })).toThrow(
      /is for other\/train, not synth\/train/,
    );
    expect(() => sampleEpisode(ds, { ...base, way: 31, seed: 1, index: 0 })).toThrow(
      /30 classes, fewer than way = 31/,
    );
    expect(() => sampleEpisode(ds, { ...base, shot: 20, query: 6, seed: 1, index: 0 })).toThrow(
      `/synthetic/c0: class 'c0' has 25 images, fewer than shot + query = 26`,
    );
  });
});

describe.skipIf(!HAVE_DATA)('episode sampler (real data)', () => {
  it('Omniglot 20-way 5-shot and tiny-imagenet-32 5-way 5-shot 15-query over many seeds', async () => {
    const om = await loadOmniglot(join(DATA_DIR, 'omniglot'), 'train');
    const tiny = await loadMiniImageNetLayout(join(DATA_DIR, 'tiny-imagenet-32'), 'train', { imageSize: 32 });
    for (let seed = 0; seed < 100; seed++) {
      const a = sampleEpisode(om, {
        dataset: 'omniglot',
        split: 'train',
        way: 20,
        shot: 5,
        query: 15,
        seed,
        index: 3,
      });
      checkEpisode(om, a);
      expect(sampleEpisode(om, parseEpisodeId(a.id))).toEqual(a);
      const b = sampleEpisode(tiny, {
        dataset: 'tiny-imagenet-32',
        split: 'train',
        way: 5,
        shot: 5,
        query: 15,
        seed,
        index: seed,
      });
      checkEpisode(tiny, b);
      expect(sampleEpisode(tiny, parseEpisodeId(b.id))).toEqual(b);
    }
  });
});

describe.skipIf(!HAVE_DATA)("within-group episodes (Lake's within-alphabet form)", () => {
  it('draws every class of an episode from one alphabet, upright, reproducibly from the id', async () => {
    const om = await loadOmniglot(join(DATA_DIR, 'omniglot'), 'evaluation');
    // Groups are alphabets of upright characters; rotated copies are in none.
    for (const c of om.classes) expect(c.group === undefined, c.id).toBe(c.id.includes('@rot'));
    const seen = new Set<string>();
    for (let index = 0; index < 60; index++) {
      const spec: EpisodeSpec = {
        dataset: 'omniglot',
        split: 'evaluation',
        way: 20,
        shot: 1,
        query: 2,
        seed: 0,
        index,
        withinGroup: true,
      };
      const ep = sampleEpisode(om, spec);
      checkEpisode(om, ep);
      const groupOf = (id: string) => om.classes.find((c) => c.id === id)!.group!;
      const g = new Set(ep.classes.map((c) => groupOf(c.id)));
      expect(g.size).toBe(1);
      const [group] = g;
      seen.add(group);
      // The group is the alphabet of upright characters, as in Lake's task.
      const [alphabet] = ep.classes[0].id.split('/');
      expect(group).toBe(alphabet);
      expect(ep.classes.every((c) => !c.id.includes('@rot'))).toBe(true);
      expect(ep.id.endsWith(':group')).toBe(true);
      expect(sampleEpisode(om, parseEpisodeId(ep.id))).toEqual(ep);
      expect(parseEpisodeId(ep.id).withinGroup).toBe(true);
    }
    // Many of the 20 evaluation alphabets are visited, not one.
    expect(seen.size).toBeGreaterThan(10);
    // The same identity without the form draws from anywhere: another episode.
    const any = sampleEpisode(om, {
      dataset: 'omniglot',
      split: 'evaluation',
      way: 20,
      shot: 1,
      query: 2,
      seed: 0,
      index: 0,
    });
    expect(
      new Set(any.classes.map((c) => om.classes.find((x) => x.id === c.id)!.group)).size,
    ).toBeGreaterThan(1);
  });

  it('refuses datasets without groups and ways no group can fill, naming the dataset', async () => {
    const tiny = await loadMiniImageNetLayout(join(DATA_DIR, 'tiny-imagenet-32'), 'test', { imageSize: 32 });
    const base = { split: 'test', way: 5, shot: 1, query: 1, seed: 0, index: 0, withinGroup: true };
    expect(() => sampleEpisode(tiny, { ...base, dataset: 'tiny-imagenet-32' })).toThrow(
      /tiny-imagenet-32\/test has no class groups/,
    );
    const om = await loadOmniglot(join(DATA_DIR, 'omniglot'), 'evaluation');
    const sizes = new Map<string, number>();
    for (const c of om.classes) if (c.group) sizes.set(c.group, (sizes.get(c.group) ?? 0) + 1);
    const largest = Math.max(...sizes.values());
    expect(() =>
      sampleEpisode(om, { ...base, dataset: 'omniglot', split: 'evaluation', way: largest + 1 }),
    ).toThrow(new RegExp(`no class group has ${largest + 1} classes \\(the largest has ${largest}\\)`));
    expect(() => parseEpisodeId('omniglot:evaluation:5:1:1:0:0:alphabet')).toThrow(/8th field/);
  });
});

const GOLDEN = {
  classes: ['c12', 'c18', 'c16'],
  support: ['c12/i24', 'c18/i20', 'c16/i1'],
  query: ['c12/i14', 'c18/i5', 'c16/i9'],
};
