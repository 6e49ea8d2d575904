/**
 * The settings of a class's prototypical parts, defaults and bounds in one place: `pnpm cli explain parts`
 * and the API's `prototypicalParts` (its schema's defaults are checked against these by a test).
 */
import { EPISODE_LIMITS as L, PARTS_DEFAULT_VALUES as D, type IntField } from '../config/index.js';

export const PARTS_FIELDS = {
  episodes: { doc: 'episodes containing the class', default: D.episodes, min: 1, max: L.maxEvalEpisodes },
  way: { doc: 'classes per episode', default: D.way, min: 2, max: L.maxWay },
  shot: { doc: 'support images per class', default: D.shot, min: 1, max: L.maxShot },
  query: { doc: 'queries per class', default: D.query, min: 1, max: L.maxQuery },
  seed: { doc: 'seed of the episode stream', default: D.seed, min: 0, max: Number.MAX_SAFE_INTEGER },
  parts: { doc: 'number of parts (k-means clusters)', default: D.parts, min: 1, max: 20 },
  patchesPerPart: { doc: 'patches shown per part', default: D.patchesPerPart, min: 1, max: 20 },
  topRegions: {
    doc: 'support regions credited per correct decision',
    default: D.topRegions,
    min: 1,
    max: 50,
  },
} as const satisfies Record<string, IntField & { default: number }>;

/** The split parts are found in unless one is named. */
export const PARTS_SPLIT = D.split;
