/**
 * N-way K-shot Q-query episode sampling. Each episode draws from its own stream `Rng.fromKeys(seed, index)`,
 * so episode i is rebuilt without sampling episodes 0..i-1. Support and query sets are disjoint; both are
 * class-major (all images of class 0, then class 1, ...), and label i is the i-th sampled class.
 */
import {
  type ClassInfo,
  type FewShotDataset,
  type ImageRef,
  DataError,
  formatSkipped,
} from '../data/index.js';
import { Rng } from '../util/index.js';
import { formatEpisodeId, validateEpisodeSpec, type EpisodeSpec } from './spec.js';

/** Sub-stream keys: sampling and augmentation never consume each other's numbers. */
export const STREAM_SAMPLE = 0;
export const STREAM_AUGMENT = 1;

export interface EpisodeImage extends ImageRef {
  /** Episode label, 0..way-1. */
  label: number;
}

/** An episode in its JSON form (what the API and dashboard exchange). */
export interface Episode {
  id: string;
  spec: EpisodeSpec;
  classes: { id: string; name: string }[];
  /** way * shot images, class-major. */
  support: EpisodeImage[];
  /** way * query images, class-major. */
  query: EpisodeImage[];
}

/** The stream of one episode (`sub` selects sampling or augmentation). */
export function episodeRng(spec: Pick<EpisodeSpec, 'seed' | 'index'>, sub: number): Rng {
  return Rng.fromKeys(spec.seed, spec.index, sub);
}

const checked = new WeakMap<FewShotDataset, Set<number>>();

/** Fails, naming the file, when a class has fewer than `need` images or there are fewer than `way` classes. */
export function checkDatasetFor(ds: FewShotDataset, way: number, need: number): void {
  const seen = checked.get(ds) ?? new Set<number>();
  if (seen.has(need * 1e6 + way)) return;
  if (ds.classes.length < way)
    throw new DataError(
      ds.root,
      `${ds.name}/${ds.split} has ${ds.classes.length} classes, fewer than way = ${way}`,
    );
  for (const c of ds.classes) {
    if (c.imageIds.length < need) {
      throw new DataError(
        c.source,
        `class '${c.id}' has ${c.imageIds.length} images, fewer than shot + query = ${need}` +
          (c.skipped ? `; ${formatSkipped(c.skipped)}` : ''),
      );
    }
  }
  seen.add(need * 1e6 + way);
  checked.set(ds, seen);
}

const groupsOf = new WeakMap<FewShotDataset, Map<string, ClassInfo[]>>();

/** The split's classes by group, in class order (computed once per dataset). */
function classGroups(ds: FewShotDataset): Map<string, ClassInfo[]> {
  let groups = groupsOf.get(ds);
  if (!groups) {
    groups = new Map();
    for (const c of ds.classes) {
      if (c.group === undefined) continue;
      const g = groups.get(c.group);
      if (g) g.push(c);
      else groups.set(c.group, [c]);
    }
    groupsOf.set(ds, groups);
  }
  return groups;
}

/** A group with at least `way` classes, uniformly among those that have enough. */
function pickGroup(ds: FewShotDataset, way: number, rng: Rng): ClassInfo[] {
  const groups = [...classGroups(ds).values()];
  if (!groups.length)
    throw new DataError(
      ds.root,
      `${ds.name}/${ds.split} has no class groups, so within-group (within-alphabet) episodes cannot be drawn; only Omniglot's alphabets are groups`,
    );
  const eligible = groups.filter((g) => g.length >= way);
  if (!eligible.length)
    throw new DataError(
      ds.root,
      `${ds.name}/${ds.split}: no class group has ${way} classes (the largest has ${Math.max(...groups.map((g) => g.length))}); lower the way`,
    );
  return eligible[rng.int(eligible.length)];
}

export function sampleEpisode(ds: FewShotDataset, spec: EpisodeSpec): Episode {
  validateEpisodeSpec(spec);
  if (spec.dataset !== ds.name || spec.split !== ds.split) {
    throw new Error(
      `episode ${formatEpisodeId(spec)} is for ${spec.dataset}/${spec.split}, not ${ds.name}/${ds.split}`,
    );
  }
  const need = spec.shot + spec.query;
  checkDatasetFor(ds, spec.way, need);
  const rng = episodeRng(spec, STREAM_SAMPLE);
  const pool = spec.withinGroup ? pickGroup(ds, spec.way, rng) : ds.classes;
  const picked = rng.sample(pool.length, spec.way).map((i) => pool[i]);
  const support: EpisodeImage[] = [];
  const query: EpisodeImage[] = [];
  picked.forEach((c, label) => {
    const idx = rng.sample(c.imageIds.length, need);
    for (let j = 0; j < need; j++) {
      const img = { imageId: c.imageIds[idx[j]], classId: c.id, label };
      (j < spec.shot ? support : query).push(img);
    }
  });
  return {
    id: formatEpisodeId(spec),
    spec: { ...spec },
    classes: picked.map((c) => ({ id: c.id, name: c.name })),
    support,
    query,
  };
}

/** Episodes `first .. first+count-1` of a stream. */
export function* sampleEpisodes(
  ds: FewShotDataset,
  base: Omit<EpisodeSpec, 'index'>,
  first: number,
  count: number,
): Generator<Episode> {
  for (let i = first; i < first + count; i++) yield sampleEpisode(ds, { ...base, index: i });
}

/** Checks an episode read back from JSON (shape and labels); the dataset may then rebuild its batch. */
export function episodeFromJSON(value: unknown): Episode {
  const e = value as Episode;
  if (
    !e ||
    typeof e !== 'object' ||
    typeof e.id !== 'string' ||
    !Array.isArray(e.support) ||
    !Array.isArray(e.query) ||
    !Array.isArray(e.classes)
  ) {
    throw new Error('not an episode: expected { id, spec, classes, support, query }');
  }
  const spec = validateEpisodeSpec(e.spec);
  if (formatEpisodeId(spec) !== e.id)
    throw new Error(`episode id '${e.id}' does not match its spec (${formatEpisodeId(spec)})`);
  if (e.support.length !== spec.way * spec.shot || e.query.length !== spec.way * spec.query) {
    throw new Error(
      `episode ${e.id}: expected ${spec.way * spec.shot} support and ${spec.way * spec.query} query images`,
    );
  }
  for (const im of [...e.support, ...e.query]) {
    if (typeof im.imageId !== 'string' || !Number.isInteger(im.label) || im.label < 0 || im.label >= spec.way)
      throw new Error(`episode ${e.id}: bad image entry ${JSON.stringify(im)}`);
  }
  return e;
}
