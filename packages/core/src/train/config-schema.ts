/**
 * The one schema of a training configuration: types, defaults, bounds and error messages in one place. The
 * CLI (flags and `--config` files), the API's `startTraining`, sweeps and the trainer all parse with it; the
 * CLI's `--help` reads its defaults and bounds from TRAIN_FIELDS. Core reads no environment here: the CLI
 * and the API put `RCN_BACKEND` in its place in the precedence (see `config/layers.ts`).
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { BACKEND_NAMES } from '../backend/index.js';
import {
  parseConfig,
  EPISODE_LIMITS,
  boundedIntSchema,
  intFieldSchema as intField,
  numberSchema as num,
  nameSchema,
  oneOfSchema as oneOf,
  formatConfigValue,
  type IntField,
  loadLayeredConfig,
  type ConfigLayer,
  type LoadedConfig,
  TRAIN_DEFAULT_VALUES as D,
} from '../config/index.js';
import type { Method, TrainConfig } from './types.js';

export const METHODS: readonly Method[] = ['rcn', 'protonet', 'relationnet'];

/**
 * Upper bounds of a training configuration. They are far above any sensible experiment and exist so that
 * a typo (`--episodes 1e12`, `--image-size 100000`) is refused with the field's name instead of running
 * for ever or dying deep inside an allocation.
 */
export const TRAIN_LIMITS = {
  maxWay: EPISODE_LIMITS.maxWay,
  maxShot: EPISODE_LIMITS.maxShot,
  maxQuery: EPISODE_LIMITS.maxQuery,
  /** Images in one episode, way x (shot + query). */
  maxEpisodeImages: EPISODE_LIMITS.maxEpisodeImages,
  maxEpisodes: 10_000_000,
  maxValEpisodes: EPISODE_LIMITS.maxEvalEpisodes,
  minImageSize: 8,
  maxImageSize: 512,
  maxLrPatience: 1_000,
} as const;

/** Worker threads a run may use here: one per core the OS gives this process (more only slows it down). */
export function maxTrainWorkers(): number {
  return availableParallelism();
}

const L = TRAIN_LIMITS;

/** The integer options of a training run (workers' upper bound is the machine's, see maxTrainWorkers). */
export const TRAIN_FIELDS = {
  way: { doc: 'classes per episode', default: D.way, min: 2, max: L.maxWay },
  shot: { doc: 'support images per class', default: D.shot, min: 1, max: L.maxShot },
  query: { doc: 'training queries per class', default: D.query, min: 1, max: L.maxQuery },
  valQuery: { doc: 'validation queries per class', default: D.valQuery, min: 1, max: L.maxQuery },
  episodes: { doc: 'training episodes', default: D.episodes, min: 1, max: L.maxEpisodes },
  valEvery: { doc: 'validate every n episodes', default: D.valEvery, min: 1, max: L.maxEpisodes },
  valEpisodes: { doc: 'fixed validation episodes', default: D.valEpisodes, min: 1, max: L.maxValEpisodes },
  lrPatience: {
    doc: 'plateau epochs before the lr drops',
    default: D.lrPatience,
    min: 0,
    max: L.maxLrPatience,
  },
  earlyStop: {
    doc: 'stop after this many validations without a new best (0: never)',
    default: D.earlyStop,
    min: 0,
    max: L.maxLrPatience,
  },
  seed: { doc: 'seed of every random stream', default: D.seed, min: 0, max: Number.MAX_SAFE_INTEGER },
  workers: {
    doc: 'worker threads; one episode per worker per step',
    default: D.workers,
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
  },
  imageSize: { doc: 'image side', min: L.minImageSize, max: L.maxImageSize },
} as const satisfies Record<string, IntField>;

/** The other defaults (the reference implementation's). */
export const TRAIN_DEFAULTS = {
  method: D.method,
  dataset: D.dataset,
  trainSplit: D.trainSplit,
  valSplit: D.valSplit,
  backbone: D.backbone,
  lr: D.lr,
  clipNorm: D.clipNorm,
  lrFactor: D.lrFactor,
  augment: D.augment,
  backend: D.backend,
} as const;

/**
 * Builds the schema; `strict` refuses unknown keys (user input), the lenient one ignores them (configs
 * recorded by older versions, re-validated on resume).
 */
function buildTrainConfigSchema(strict: boolean) {
  const object = (strict ? z.strictObject : z.object) as typeof z.strictObject;
  const F = TRAIN_FIELDS;
  const model = object(
    {
      backbone: oneOf(['conv4', 'resnet12'], 'backbone').default(TRAIN_DEFAULTS.backbone),
      widths: z.tuple([num(), num(), num(), num()], { error: () => 'expected 4 numbers' }).optional(),
      imageSize: boundedIntSchema(F.imageSize.min, F.imageSize.max).optional(),
      regionGrid: z
        .union([boundedIntSchema(1, 64), z.literal('none'), z.literal('global')], {
          error: (i) => `expected a positive integer, 'none' or 'global', got ${formatConfigValue(i.input)}`,
        })
        .optional(),
      regionWeighting: oneOf(['network', 'linear'], 'region weighting').optional(),
      bnInference: oneOf(['batch', 'running'], 'BatchNorm inference mode').optional(),
      bnMomentum: num().optional(),
      bnEps: num().optional(),
      leakySlope: num().optional(),
      dropBlock: object(
        { rate: num(), blockSize: boundedIntSchema(1, 1_000) },
        { error: () => 'expected { rate, blockSize } or null' },
      )
        .nullable()
        .optional(),
      seed: boundedIntSchema(0, Number.MAX_SAFE_INTEGER).optional(),
    },
    { error: () => 'expected a mapping of model options, e.g. { backbone: conv4 }' },
  );
  const triple = z.tuple([num(), num(), num()], { error: () => 'expected 3 numbers' });
  return object({
    method: z
      .enum(METHODS as [Method, ...Method[]], {
        error: (i) => `unknown ${formatConfigValue(i.input)}; expected one of ${METHODS.join(', ')}`,
      })
      .default(TRAIN_DEFAULTS.method),
    dataset: nameSchema()
      .refine((d) => d.length > 0 && !d.includes(':'), {
        error: (i) => `invalid name ${formatConfigValue(i.input)}`,
      })
      .default(TRAIN_DEFAULTS.dataset),
    dataDir: nameSchema().optional(),
    trainSplit: nameSchema().default(TRAIN_DEFAULTS.trainSplit),
    valSplit: nameSchema().default(TRAIN_DEFAULTS.valSplit),
    model: model.prefault({}),
    way: intField(F.way),
    shot: intField(F.shot),
    query: intField(F.query),
    valQuery: intField(F.valQuery),
    episodes: intField(F.episodes),
    valEvery: intField(F.valEvery),
    valEpisodes: intField(F.valEpisodes),
    lr: num()
      .refine((v) => v > 0, { error: (i) => `must be > 0, got ${String(i.input)}` })
      .default(TRAIN_DEFAULTS.lr),
    clipNorm: num()
      .refine((v) => v >= 0, { error: (i) => `must be >= 0, got ${String(i.input)}` })
      .default(TRAIN_DEFAULTS.clipNorm),
    lrFactor: num()
      .refine((v) => v > 0 && v < 1, { error: (i) => `must be in (0, 1), got ${String(i.input)}` })
      .default(TRAIN_DEFAULTS.lrFactor),
    lrPatience: intField(F.lrPatience),
    earlyStop: intField(F.earlyStop),
    normalization: object(
      {
        mean: triple.refine((m) => m.every(Number.isFinite), 'expected 3 finite numbers'),
        std: triple.refine((s) => s.every((v) => Number.isFinite(v) && v > 0), 'expected 3 positive numbers'),
      },
      { error: () => 'expected { mean: [3 finite numbers], std: [3 positive numbers] }' },
    ).optional(),
    augment: z
      .boolean({ error: (i) => `expected true or false, got ${formatConfigValue(i.input)}` })
      .default(TRAIN_DEFAULTS.augment),
    seed: intField(F.seed),
    workers: intField(F.workers).superRefine((w, ctx) => {
      const cores = maxTrainWorkers();
      if (w > cores)
        ctx.addIssue({
          code: 'custom',
          message: `${w} is over the limit of ${cores} on this machine (os.availableParallelism(): one worker per core)`,
        });
    }),
    backend: oneOf(BACKEND_NAMES, 'backend').default(TRAIN_DEFAULTS.backend),
  }).superRefine((c, ctx) => {
    const q = Math.max(c.query, c.valQuery);
    const images = c.way * (c.shot + q);
    if (images > L.maxEpisodeImages)
      ctx.addIssue({
        code: 'custom',
        path: ['query'],
        message: `an episode of way ${c.way} x (shot ${c.shot} + query ${q}) = ${images} images is over the limit of ${L.maxEpisodeImages}`,
      });
  });
}

/** User input: unknown keys are refused with a did-you-mean. */
export const trainConfigSchema = buildTrainConfigSchema(true);
const storedTrainConfigSchema = buildTrainConfigSchema(false);

/** What a user may give: every field optional, defaults from the schema. */
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

// The schema's output is the documented TrainConfig (types.ts), both ways.
type Output = z.output<typeof trainConfigSchema>;
const _sameShape: [Output extends TrainConfig ? true : false, TrainConfig extends Output ? true : false] = [
  true,
  true,
];
void _sameShape;

/** A complete, validated configuration from a partial one (defaults filled, unknown keys refused). */
export function defaultTrainConfig(input: TrainConfigInput = {}): TrainConfig {
  return parseConfig(trainConfigSchema, input);
}

/** Throws a ConfigError naming the first bad field of a complete configuration (e.g. a recorded one). */
export function validateTrainConfig(c: TrainConfig): void {
  parseConfig(storedTrainConfigSchema, c);
}

/**
 * Training configuration from layers in the documented precedence, flags > environment > config file >
 * defaults (the CLI builds the layers; core reads no environment). `sources` says which layer set each value.
 */
export function loadTrainConfig(layers: readonly ConfigLayer[]): LoadedConfig<TrainConfig> {
  return loadLayeredConfig(trainConfigSchema, layers);
}
