/** Training defaults: the reference implementation's, where it has one. */
import { availableParallelism } from 'node:os';
import { parseBackendName } from '../backend/index.js';
import type { Method, TrainConfig } from './types.js';

export const METHODS: readonly Method[] = ['rcn', 'protonet', 'relationnet'];

export type TrainConfigInput = Partial<Omit<TrainConfig, 'model'>> & { model?: TrainConfig['model'] };

export function defaultTrainConfig(input: TrainConfigInput = {}): TrainConfig {
  const cfg: TrainConfig = {
    method: input.method ?? 'rcn',
    dataset: input.dataset ?? 'omniglot',
    dataDir: input.dataDir,
    trainSplit: input.trainSplit ?? 'train',
    valSplit: input.valSplit ?? 'val',
    model: input.model ?? { backbone: 'conv4' },
    way: input.way ?? 5,
    shot: input.shot ?? 1,
    query: input.query ?? 10,
    valQuery: input.valQuery ?? 15,
    episodes: input.episodes ?? 60000,
    valEvery: input.valEvery ?? 500,
    valEpisodes: input.valEpisodes ?? 300,
    lr: input.lr ?? 1e-3,
    clipNorm: input.clipNorm ?? 0.5,
    lrFactor: input.lrFactor ?? 0.5,
    lrPatience: input.lrPatience ?? 2,
    normalization: input.normalization,
    augment: input.augment ?? true,
    seed: input.seed ?? 0,
    workers: input.workers ?? 1,
    backend: input.backend ?? parseBackendName(process.env.RCN_BACKEND ?? 'auto', 'RCN_BACKEND'),
  };
  validateTrainConfig(cfg);
  return cfg;
}

/**
 * Upper bounds of a training configuration. They are far above any sensible experiment and exist so that
 * a typo (`--episodes 1e12`, `--image-size 100000`) is refused with the field's name instead of running
 * for ever or dying deep inside an allocation.
 */
export const TRAIN_LIMITS = {
  maxWay: 200,
  maxShot: 100,
  maxQuery: 500,
  /** Images in one episode, way x (shot + query). */
  maxEpisodeImages: 10_000,
  maxEpisodes: 10_000_000,
  maxValEpisodes: 100_000,
  minImageSize: 8,
  maxImageSize: 512,
  maxLrPatience: 1_000,
} as const;

/** Worker threads a run may use here: one per core the OS gives this process (more only slows it down). */
export function maxTrainWorkers(): number {
  return availableParallelism();
}

function positiveInt(v: number, field: string, min = 1, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${field}: expected an integer >= ${min}, got ${v}`);
  if (v > max) throw new Error(`${field}: ${v} is over the limit of ${max}`);
}

export function validateTrainConfig(c: TrainConfig): void {
  if (!METHODS.includes(c.method))
    throw new Error(`method: unknown '${c.method}'; expected one of ${METHODS.join(', ')}`);
  if (!c.dataset || c.dataset.includes(':')) throw new Error(`dataset: invalid name '${c.dataset}'`);
  const L = TRAIN_LIMITS;
  positiveInt(c.way, 'way', 2, L.maxWay);
  positiveInt(c.shot, 'shot', 1, L.maxShot);
  positiveInt(c.query, 'query', 1, L.maxQuery);
  positiveInt(c.valQuery, 'valQuery', 1, L.maxQuery);
  const images = c.way * (c.shot + Math.max(c.query, c.valQuery));
  if (images > L.maxEpisodeImages)
    throw new Error(
      `query: an episode of way ${c.way} x (shot ${c.shot} + query ${Math.max(c.query, c.valQuery)}) = ${images} images is over the limit of ${L.maxEpisodeImages}`,
    );
  positiveInt(c.episodes, 'episodes', 1, L.maxEpisodes);
  positiveInt(c.valEvery, 'valEvery', 1, L.maxEpisodes);
  positiveInt(c.valEpisodes, 'valEpisodes', 1, L.maxValEpisodes);
  if (!Number.isInteger(c.workers) || c.workers < 1)
    throw new Error(`workers: expected an integer >= 1, got ${c.workers}`);
  const cores = maxTrainWorkers();
  if (c.workers > cores)
    throw new Error(
      `workers: ${c.workers} is over the limit of ${cores} on this machine (os.availableParallelism(): one worker per core)`,
    );
  if (c.model?.imageSize !== undefined)
    positiveInt(c.model.imageSize, 'imageSize', L.minImageSize, L.maxImageSize);
  if (!(c.lr > 0)) throw new Error(`lr: must be > 0, got ${c.lr}`);
  if (!(c.clipNorm >= 0)) throw new Error(`clipNorm: must be >= 0, got ${c.clipNorm}`);
  if (!(c.lrFactor > 0 && c.lrFactor < 1)) throw new Error(`lrFactor: must be in (0, 1), got ${c.lrFactor}`);
  positiveInt(c.lrPatience, 'lrPatience', 0, L.maxLrPatience);
  if (c.normalization) {
    const { mean, std } = c.normalization;
    if (
      mean?.length !== 3 ||
      std?.length !== 3 ||
      ![...mean, ...std].every(Number.isFinite) ||
      !std.every((v) => v > 0)
    ) {
      throw new Error('normalization: expected { mean: [3 finite numbers], std: [3 positive numbers] }');
    }
  }
  if (!Number.isSafeInteger(c.seed) || c.seed < 0)
    throw new Error(`seed: expected a non-negative integer, got ${c.seed}`);
}
