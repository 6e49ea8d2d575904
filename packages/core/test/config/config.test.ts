/**
 * One configuration schema: defaults and bounds from one table, unknown keys refused with a did-you-mean
 * (top level and nested), the layered precedence flags > environment > file > defaults with the layer of
 * each value, and no environment read inside core's defaults.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  EVAL_FIELDS,
  TRAIN_DEFAULTS,
  TRAIN_FIELDS,
  defaultTrainConfig,
  didYouMean,
  loadEvalConfig,
  loadTrainConfig,
  validateTrainConfig,
  type TrainConfig,
} from '../../src/index.js';

function errorOf(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('training configuration schema', () => {
  const saved = process.env.RCN_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.RCN_BACKEND;
    else process.env.RCN_BACKEND = saved;
  });

  it('fills the defaults of the field table, and reads no environment', () => {
    process.env.RCN_BACKEND = 'wasm';
    const c = defaultTrainConfig();
    expect(c.backend).toBe('auto');
    for (const k of [
      'way',
      'shot',
      'query',
      'valQuery',
      'episodes',
      'valEvery',
      'valEpisodes',
      'seed',
    ] as const)
      expect(c[k], k).toBe(TRAIN_FIELDS[k].default);
    expect(c).toMatchObject({
      method: TRAIN_DEFAULTS.method,
      dataset: TRAIN_DEFAULTS.dataset,
      model: { backbone: TRAIN_DEFAULTS.backbone },
      lr: TRAIN_DEFAULTS.lr,
      clipNorm: TRAIN_DEFAULTS.clipNorm,
      lrFactor: TRAIN_DEFAULTS.lrFactor,
      augment: true,
    });
  });

  it('refuses unknown keys naming the key and the one meant, at the top and nested', () => {
    const top = errorOf(() => defaultTrainConfig({ episodez: 100 } as never));
    expect(top.field).toBe('episodez');
    expect(top.message).toBe("episodez: unknown key 'episodez'; did you mean 'episodes'?");
    const nested = errorOf(() => defaultTrainConfig({ model: { backbon: 'resnet12' } } as never));
    expect(nested.message).toBe("model.backbon: unknown key 'backbon'; did you mean 'backbone'?");
    // Nothing close: the known keys are listed instead of a wild guess.
    expect(errorOf(() => defaultTrainConfig({ colour: 'red' } as never)).message).toMatch(
      /^colour: unknown key 'colour'; known keys: method, dataset, .*backend$/,
    );
    expect(didYouMean('valevry', ['valEvery', 'valEpisodes'])).toBe('valEvery');
    expect(didYouMean('zzz', ['way', 'shot'])).toBeUndefined();
  });

  it('bounds every integer by its table entry, naming the field', () => {
    for (const [k, f] of Object.entries(TRAIN_FIELDS)) {
      if (k === 'workers' || k === 'imageSize') continue;
      expect(errorOf(() => defaultTrainConfig({ [k]: f.min - 1 })).message).toBe(
        `${k}: expected an integer >= ${f.min}, got ${f.min - 1}`,
      );
      if (f.max < Number.MAX_SAFE_INTEGER && k !== 'query' && k !== 'valQuery' && k !== 'way' && k !== 'shot')
        expect(errorOf(() => defaultTrainConfig({ [k]: f.max + 1 })).message).toBe(
          `${k}: ${f.max + 1} is over the limit of ${f.max}`,
        );
      expect(() => defaultTrainConfig({ [k]: f.min })).not.toThrow();
    }
    expect(
      errorOf(() => defaultTrainConfig({ model: { backbone: 'conv4', imageSize: 100_000 } })).message,
    ).toBe('model.imageSize: 100000 is over the limit of 512');
    expect(errorOf(() => defaultTrainConfig({ way: 200, query: 500 })).field).toBe('query');
    expect(errorOf(() => defaultTrainConfig({ lr: 0 })).message).toBe('lr: must be > 0, got 0');
    expect(errorOf(() => defaultTrainConfig({ way: 'five' as never })).message).toBe(
      "way: expected a number, got 'five'",
    );
    expect(errorOf(() => defaultTrainConfig({ model: 'resnet12' as never })).message).toBe(
      'model: expected a mapping of model options, e.g. { backbone: conv4 }',
    );
    expect(errorOf(() => defaultTrainConfig({ dataset: 5 as never })).message).toBe(
      'dataset: expected a string, got 5',
    );
    expect(errorOf(() => defaultTrainConfig({ method: 'svm' as never })).message).toBe(
      "method: unknown 'svm'; expected one of rcn, protonet, relationnet",
    );
    expect(errorOf(() => defaultTrainConfig({ workers: 100_000 })).message).toMatch(
      /^workers: 100000 is over the limit of \d+ on this machine/,
    );
  });

  it('re-validates a recorded configuration, tolerating keys of other versions', () => {
    const recorded = { ...defaultTrainConfig(), retired: 1 } as TrainConfig;
    expect(() => validateTrainConfig(recorded)).not.toThrow();
    expect(() => validateTrainConfig({ ...recorded, way: 1 })).toThrow(
      'way: expected an integer >= 2, got 1',
    );
  });
});

describe('layered loading', () => {
  const file = (values: Record<string, unknown>) => ({
    kind: 'file' as const,
    values,
    name: (f: string) => `run.yaml: ${f}`,
  });
  const env = (backend?: string) => ({
    kind: 'env' as const,
    values: { backend },
    name: (f: string) => `${f} (RCN_BACKEND)`,
  });
  const flags = (values: Record<string, unknown>) => ({
    kind: 'flag' as const,
    values,
    name: (f: string) => `--${f}`,
  });

  it('flags > environment > file > defaults, whatever order the layers come in, with the layer of each value', () => {
    const { value, sources } = loadTrainConfig([
      flags({ way: 3, backend: undefined }),
      env('wasm'),
      file({ way: 4, shot: 2, backend: 'cpu', model: { backbone: 'resnet12', imageSize: 32 } }),
    ]);
    expect(value).toMatchObject({ way: 3, shot: 2, backend: 'wasm', query: TRAIN_FIELDS.query.default });
    expect(value.model).toEqual({ backbone: 'resnet12', imageSize: 32 });
    expect(sources).toMatchObject({
      way: 'flag',
      shot: 'file',
      backend: 'env',
      query: 'default',
      'model.backbone': 'file',
    });
    // A flag beats the environment; without either, the file's value stands.
    expect(loadTrainConfig([env('wasm'), flags({ backend: 'cpu' })]).value.backend).toBe('cpu');
    expect(loadTrainConfig([file({ backend: 'cpu' }), env(undefined)]).value.backend).toBe('cpu');
    // Nested objects merge key by key: a flag's image size keeps the file's backbone.
    const merged = loadTrainConfig([
      file({ model: { backbone: 'resnet12' } }),
      flags({ model: { imageSize: 40 } }),
    ]);
    expect(merged.value.model).toEqual({ backbone: 'resnet12', imageSize: 40 });
    expect(merged.sources).toMatchObject({ 'model.backbone': 'file', 'model.imageSize': 'flag' });
  });

  it('names a bad value the way the layer that set it does', () => {
    expect(() => loadTrainConfig([file({ episodez: 100 })])).toThrow(
      "run.yaml: episodez: unknown key 'episodez'; did you mean 'episodes'?",
    );
    expect(() => loadTrainConfig([file({ model: { backbon: 'conv4' } })])).toThrow(
      "run.yaml: model.backbon: unknown key 'backbon'; did you mean 'backbone'?",
    );
    expect(() => loadTrainConfig([file({ way: 5 }), flags({ way: 1 })])).toThrow(
      '--way: expected an integer >= 2, got 1',
    );
    expect(() => loadTrainConfig([env('gpu')])).toThrow(/^backend \(RCN_BACKEND\): unknown backend 'gpu'/);
  });

  it('evaluation settings: defaults and bounds from their table', () => {
    const { value } = loadEvalConfig([]);
    for (const k of ['way', 'shot', 'query', 'episodes', 'seed', 'workers'] as const)
      expect(value[k], k).toBe(EVAL_FIELDS[k].default);
    expect(() => loadEvalConfig([flags({ episodes: 0 })])).toThrow(
      '--episodes: expected an integer >= 1, got 0',
    );
    expect(() => loadEvalConfig([flags({ epsiodes: 10 })])).toThrow("did you mean 'episodes'?");
  });
});
