/** Checks of client-given episode shapes against the server's limits, before any work is done. */
import type { EpisodeSpec } from '@rcn/core';
import type { Limits } from '../config.js';
import { badInput, boundedInt } from '../graphql/errors.js';
import type { EpisodeInput } from '../graphql/generated.js';
import type { DatasetService } from './datasets.js';

/**
 * An input object with its defaulted fields present. graphql-js fills a field's schema default only when
 * the field is absent, so a nullable field with a default (`way: Int = 5`) still reaches the resolver as
 * null when a client sends null explicitly: refused here, naming the field.
 */
export function withDefaults<T extends object, K extends keyof T>(
  input: T,
  keys: readonly K[],
): T & { [P in K]-?: NonNullable<T[P]> } {
  for (const k of keys)
    if (input[k] === null || input[k] === undefined)
      throw badInput(`${String(k)} must not be null (leave it out for its default)`, String(k));
  return input as T & { [P in K]-?: NonNullable<T[P]> };
}

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
