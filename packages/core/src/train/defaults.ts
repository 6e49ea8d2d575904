/** Training defaults: the reference implementation's, where it has one. */
import { parseBackendName } from '../backend/select.js';
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

function positiveInt(v: number, field: string, min = 1): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${field}: expected an integer >= ${min}, got ${v}`);
}

export function validateTrainConfig(c: TrainConfig): void {
  if (!METHODS.includes(c.method))
    throw new Error(`method: unknown '${c.method}'; expected one of ${METHODS.join(', ')}`);
  if (!c.dataset || c.dataset.includes(':')) throw new Error(`dataset: invalid name '${c.dataset}'`);
  positiveInt(c.way, 'way', 2);
  positiveInt(c.shot, 'shot');
  positiveInt(c.query, 'query');
  positiveInt(c.valQuery, 'valQuery');
  positiveInt(c.episodes, 'episodes');
  positiveInt(c.valEvery, 'valEvery');
  positiveInt(c.valEpisodes, 'valEpisodes');
  positiveInt(c.workers, 'workers');
  if (!(c.lr > 0)) throw new Error(`lr: must be > 0, got ${c.lr}`);
  if (!(c.clipNorm >= 0)) throw new Error(`clipNorm: must be >= 0, got ${c.clipNorm}`);
  if (!(c.lrFactor > 0 && c.lrFactor < 1)) throw new Error(`lrFactor: must be in (0, 1), got ${c.lrFactor}`);
  positiveInt(c.lrPatience, 'lrPatience', 0);
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
