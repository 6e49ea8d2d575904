/**
 * The API's job inputs to core's configurations. Types, defaults, bounds and their messages are core's
 * schemas' (the CLI's too); the API adds only this server's own, tighter limits (`LIMIT_EXCEEDED`, from its
 * config) and maps a ConfigError to `BAD_USER_INPUT` naming the field. Unknown input fields never get here:
 * GraphQL refuses them ("Field 'episodez' is not defined by type 'TrainConfigInput'. Did you mean
 * 'episodes'?").
 */
import {
  ConfigError,
  defaultTrainConfig,
  loadEvalConfig,
  type BackendName,
  type EvalConfig,
  type Method,
  type TrainConfig,
} from '@rcn/core';
import type { Limits } from '../config.js';
import { badInput, limitExceeded } from '../graphql/errors.js';
import type { EvaluateInput as GqlEvaluateInput, TrainConfigInput } from '../graphql/generated.js';

/** Workers and image side one API training job may use (the machine's cores bound workers further). */
export const API_TRAIN_LIMITS = { maxWorkers: 8, maxImageSize: 224, maxRegionGrid: 16 } as const;

// The input fields with a schema default: GraphQL fills them when omitted, `withDefaults` refuses an explicit null.
export const TRAIN_DEFAULTED = [
  'method',
  'trainSplit',
  'valSplit',
  'backbone',
  'way',
  'shot',
  'query',
  'valQuery',
  'episodes',
  'valEvery',
  'valEpisodes',
  'lr',
  'augment',
  'seed',
  'workers',
] as const;
export const EVALUATE_DEFAULTED = ['way', 'shot', 'query', 'episodes', 'seed'] as const;

/** A generated input type with its defaulted fields present. */
type Filled<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };

/** `TrainConfigInput` (schema.graphql) once its defaults are in. */
export type TrainInput = Filled<TrainConfigInput, (typeof TRAIN_DEFAULTED)[number]>;

/** `EvaluateInput` once its defaults are in. */
export type EvaluateInput = Filled<GqlEvaluateInput, (typeof EVALUATE_DEFAULTED)[number]>;

/** An integer over this server's limit: LIMIT_EXCEEDED. Anything else wrong is the schema's to say. */
function serverLimit(value: number | null | undefined, field: string, max: number): void {
  if (typeof value === 'number' && Number.isInteger(value) && value > max)
    throw limitExceeded(`${field} = ${value} is over this server's limit of ${max}`, field, max);
}

/** Core's message and field (the last part of a nested path: `model.imageSize` is the input's `imageSize`). */
function asBadInput(e: unknown): never {
  if (e instanceof ConfigError) throw badInput(e.message.replace(/^model\./, ''), e.field.split('.').at(-1));
  throw e;
}

export function trainConfigFromInput(
  c: TrainInput,
  server: { limits: Limits; dataDir: string; backend: BackendName },
): TrainConfig {
  const l = server.limits;
  serverLimit(c.way, 'way', l.maxWay);
  serverLimit(c.shot, 'shot', l.maxShot);
  serverLimit(c.query, 'query', l.maxQuery);
  serverLimit(c.valQuery, 'valQuery', l.maxQuery);
  serverLimit(c.episodes, 'episodes', l.maxTrainEpisodes);
  serverLimit(c.valEpisodes, 'valEpisodes', l.maxEvalEpisodes);
  serverLimit(c.valEvery, 'valEvery', l.maxTrainEpisodes);
  serverLimit(c.workers, 'workers', API_TRAIN_LIMITS.maxWorkers);
  serverLimit(c.imageSize, 'imageSize', API_TRAIN_LIMITS.maxImageSize);
  serverLimit(c.regionGrid, 'regionGrid', API_TRAIN_LIMITS.maxRegionGrid);
  try {
    return defaultTrainConfig({
      method: c.method as Method,
      dataset: c.dataset,
      dataDir: server.dataDir,
      trainSplit: c.trainSplit,
      valSplit: c.valSplit,
      model: {
        backbone: c.backbone as TrainConfig['model']['backbone'],
        ...(c.imageSize != null ? { imageSize: c.imageSize } : {}),
        ...(c.regionGrid != null ? { regionGrid: c.regionGrid } : {}),
      },
      way: c.way,
      shot: c.shot,
      query: c.query,
      valQuery: c.valQuery,
      episodes: c.episodes,
      valEvery: c.valEvery,
      valEpisodes: c.valEpisodes,
      lr: c.lr,
      ...(c.clipNorm != null ? { clipNorm: c.clipNorm } : {}),
      augment: c.augment,
      seed: c.seed,
      workers: c.workers,
      backend: server.backend,
    });
  } catch (e) {
    asBadInput(e);
  }
}

/** Evaluation settings of an `evaluate` mutation: core's schema, then this server's limits. */
export function evalSettingsFromInput(
  c: EvaluateInput & { split: string },
  limits: Limits,
): Required<Omit<EvalConfig, 'workers' | 'withinGroup'>> {
  serverLimit(c.way, 'way', limits.maxWay);
  serverLimit(c.shot, 'shot', limits.maxShot);
  serverLimit(c.query, 'query', limits.maxQuery);
  serverLimit(c.episodes, 'episodes', limits.maxEvalEpisodes);
  try {
    const { dataset, split, way, shot, query, episodes, seed } = loadEvalConfig([
      { kind: 'flag', values: { ...c }, name: (f) => f },
    ]).value;
    return { dataset: dataset ?? c.dataset, split: split ?? c.split, way, shot, query, episodes, seed };
  } catch (e) {
    asBadInput(e);
  }
}
