import type { EpisodeArrays } from './batch.js';

/**
 * An episode's arrays with every pixel value from `value()` (tests and benchmarks whose result does not
 * depend on the pixels; each brings its own seeded generator), `size` x `size` RGB, labels class-major.
 */
export function syntheticEpisodeArrays(
  shape: { way: number; shot: number; query: number; size: number },
  value: () => number,
): EpisodeArrays {
  const { way, shot, query, size } = shape;
  const fill = (n: number) => Float32Array.from({ length: n * size * size * 3 }, value);
  return {
    way,
    shot,
    query,
    height: size,
    width: size,
    support: fill(way * shot),
    queries: fill(way * query),
    supportLabels: Int32Array.from({ length: way * shot }, (_, i) => Math.floor(i / shot)),
    queryLabels: Int32Array.from({ length: way * query }, (_, i) => Math.floor(i / query)),
  };
}
