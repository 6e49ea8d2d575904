/**
 * The one schema of an evaluation's episode settings: defaults (the paper's protocol: 600 episodes of 15
 * queries per class), bounds and messages for `rcn eval` and the API's `evaluate` alike.
 */
import { z } from 'zod';
import {
  loadLayeredConfig,
  type ConfigLayer,
  type LoadedConfig,
  EPISODE_LIMITS as L,
  intFieldSchema,
  nameSchema,
  type IntField,
  EVAL_DEFAULT_VALUES as D,
} from '../config/index.js';

export const EVAL_FIELDS = {
  way: { doc: 'classes per episode', default: D.way, min: 2, max: L.maxWay },
  shot: { doc: 'support images per class', default: D.shot, min: 1, max: L.maxShot },
  query: { doc: 'queries per class', default: D.query, min: 1, max: L.maxQuery },
  episodes: { doc: 'episodes', default: D.episodes, min: 1, max: L.maxEvalEpisodes },
  seed: { doc: 'seed of the episode stream', default: D.seed, min: 0, max: Number.MAX_SAFE_INTEGER },
  workers: { doc: 'worker threads', default: D.workers, min: 1, max: Number.MAX_SAFE_INTEGER },
} as const satisfies Record<string, IntField>;

/** Sampled-episode evaluation settings; the dataset and split are decided by the caller when absent. */
export const evalConfigSchema = z
  .strictObject({
    dataset: nameSchema().optional(),
    split: nameSchema().optional(),
    way: intFieldSchema(EVAL_FIELDS.way),
    shot: intFieldSchema(EVAL_FIELDS.shot),
    query: intFieldSchema(EVAL_FIELDS.query),
    episodes: intFieldSchema(EVAL_FIELDS.episodes),
    seed: intFieldSchema(EVAL_FIELDS.seed),
    workers: intFieldSchema(EVAL_FIELDS.workers),
    /** Every episode's classes from one class group (Omniglot: one alphabet, Lake's one-shot form). */
    withinGroup: z.boolean({ error: () => 'expected true or false' }).default(false),
  })
  .superRefine((c, ctx) => {
    const images = c.way * (c.shot + c.query);
    if (images > L.maxEpisodeImages)
      ctx.addIssue({
        code: 'custom',
        path: ['query'],
        message: `an episode of way ${c.way} x (shot ${c.shot} + query ${c.query}) = ${images} images is over the limit of ${L.maxEpisodeImages}`,
      });
  });

export type EvalConfig = z.output<typeof evalConfigSchema>;
export type EvalConfigInput = z.input<typeof evalConfigSchema>;

/** Evaluation settings from layers (flags > environment > file > defaults), see `config/layers.ts`. */
export function loadEvalConfig(layers: readonly ConfigLayer[]): LoadedConfig<EvalConfig> {
  return loadLayeredConfig(evalConfigSchema, layers);
}
