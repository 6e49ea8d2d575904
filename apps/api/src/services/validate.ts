/** Checks of client-given episode shapes against the server's limits, before any work is done. */
import type { EpisodeSpec } from '@rcn/core';
import type { Limits } from '../config.js';
import { badInput, boundedInt } from '../graphql/errors.js';
import type { EpisodeInput } from '../graphql/types.js';
import type { DatasetService } from './datasets.js';

export function checkShape(l: Limits, s: { way: number; shot: number; query: number }, minQuery = 0): void {
  boundedInt(s.way, 'way', 1, l.maxWay);
  boundedInt(s.shot, 'shot', 1, l.maxShot);
  boundedInt(s.query, 'query', minQuery, l.maxQuery);
}

/** A valid episode spec whose dataset and split exist; throws coded errors otherwise. */
export async function checkEpisode(
  l: Limits,
  datasets: DatasetService,
  e: EpisodeInput,
): Promise<EpisodeSpec> {
  checkShape(l, e);
  boundedInt(e.index, 'index', 0, l.maxEpisodeIndex);
  if (!Number.isSafeInteger(e.seed)) throw badInput(`seed must be an integer, got ${e.seed}`, 'seed');
  const ds = await datasets.split(e.dataset, e.split);
  if (ds.classes.length < e.way)
    throw badInput(
      `${e.dataset}/${e.split} has ${ds.classes.length} classes, fewer than way = ${e.way}`,
      'way',
    );
  return {
    dataset: e.dataset,
    split: e.split,
    way: e.way,
    shot: e.shot,
    query: e.query,
    seed: e.seed,
    index: e.index,
  };
}
