/**
 * Every default a user meets, as plain values: the zod schemas (training, evaluation, prototypical parts)
 * build their fields on these, the CLI's help shows them, and the dashboard's forms import this file as
 * `@rcn/core/defaults`, which brings nothing with it (no imports: no TensorFlow.js, no zod). The API's
 * schema.graphql states the same values; a test there holds them equal.
 */

/** A training run (the reference implementation's schedule: 60,000 episodes, 300 validation episodes). */
export const TRAIN_DEFAULT_VALUES = {
  method: 'rcn',
  dataset: 'omniglot',
  trainSplit: 'train',
  valSplit: 'val',
  backbone: 'conv4',
  way: 5,
  shot: 1,
  query: 10,
  valQuery: 15,
  episodes: 60_000,
  valEvery: 500,
  valEpisodes: 300,
  lr: 1e-3,
  clipNorm: 0.5,
  lrFactor: 0.5,
  lrPatience: 2,
  earlyStop: 0,
  augment: true,
  seed: 0,
  workers: 1,
  backend: 'auto',
} as const;

/** An evaluation on sampled episodes (the papers' protocol: 600 episodes of 15 queries per class). */
export const EVAL_DEFAULT_VALUES = {
  way: 5,
  shot: 1,
  query: 15,
  episodes: 600,
  seed: 0,
  workers: 1,
} as const;

/** A class's prototypical parts. */
export const PARTS_DEFAULT_VALUES = {
  split: 'test',
  episodes: 40,
  way: 5,
  shot: 1,
  query: 5,
  seed: 0,
  parts: 5,
  patchesPerPart: 6,
  topRegions: 3,
} as const;
