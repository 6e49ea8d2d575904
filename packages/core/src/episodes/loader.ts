/**
 * Episodes in order with their batch arrays, built a few ahead: image decoding (sharp, off the main
 * thread) and npz inflation overlap the caller's training step instead of adding to it.
 */
import type { FewShotDataset } from '../data/index.js';
import { buildEpisodeArrays, type BatchOptions, type EpisodeArrays } from './batch.js';
import { sampleEpisode, type Episode } from './sampler.js';
import type { EpisodeSpec } from './spec.js';

export interface EpisodeStreamOptions extends BatchOptions {
  /** Episodes built ahead of the one being consumed (default 2). */
  prefetch?: number;
}

export interface BuiltEpisode {
  episode: Episode;
  arrays: EpisodeArrays;
}

/** Episodes `first, first+1, ...` (`count` of them, or endless) of the stream `base`. */
export async function* episodeStream(
  ds: FewShotDataset,
  base: Omit<EpisodeSpec, 'index'>,
  first = 0,
  count = Infinity,
  opts: EpisodeStreamOptions = {},
): AsyncGenerator<BuiltEpisode> {
  const ahead = Math.max(0, opts.prefetch ?? 2);
  const queue: Promise<BuiltEpisode>[] = [];
  let index = first;
  const end = first + count;
  const start = () => {
    const episode = sampleEpisode(ds, { ...base, index: index++ });
    const p = buildEpisodeArrays(ds, episode, opts).then((arrays) => ({ episode, arrays }));
    p.catch(() => {}); // surfaced when awaited below; avoid an unhandled rejection meanwhile
    queue.push(p);
  };
  while (queue.length <= ahead && index < end) start();
  while (queue.length) {
    const built = await queue.shift()!;
    while (queue.length <= ahead && index < end) start();
    yield built;
  }
}
