/**
 * The API's inputs and config file go through core's schemas: unknown fields refused with a did-you-mean
 * (GraphQL inputs by GraphQL itself, the config file by the schema, nested `limits` too), core's bounds
 * with core's messages (the CLI's), this server's tighter limits as LIMIT_EXCEEDED, and the documented
 * precedence environment > config file > defaults.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildSchema,
  getVariableValues,
  parse,
  validate,
  type GraphQLError,
  type OperationDefinitionNode,
} from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, defaultTrainConfig, EVAL_FIELDS, TRAIN_DEFAULT_VALUES } from '@rcn/core';
import { DEFAULT_LIMITS, loadConfig } from '../src/config.js';
import { loadTypeDefs } from '../src/graphql/schema.js';
import { evalSettingsFromInput, trainConfigFromInput, type TrainInput } from '../src/services/job-config.js';

const schema = buildSchema(loadTypeDefs());
const dir = mkdtempSync(join(tmpdir(), 'rcn-api-job-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The defaults schema.graphql gives a TrainConfigInput: core's (test/defaults.test.ts holds them equal). */
const input = (over: Partial<TrainInput> = {}): TrainInput => {
  // The fields the input does not have (core fills them) are left out.
  const {
    clipNorm: _c,
    lrFactor: _f,
    lrPatience: _p,
    earlyStop: _e,
    backend: _b,
    ...d
  } = TRAIN_DEFAULT_VALUES;
  return { ...d, dataset: 'tiny-imagenet-32', ...over };
};
const server = { limits: DEFAULT_LIMITS, dataDir: '/data', backend: 'wasm' as const };

function thrown(f: () => unknown): GraphQLError {
  try {
    f();
  } catch (e) {
    return e as GraphQLError;
  }
  throw new Error('expected an error');
}

describe('API inputs through the schema', () => {
  it('refuses unknown input fields with a did-you-mean (GraphQL validation)', () => {
    const errors = validate(
      schema,
      parse('mutation { startTraining(config: { dataset: "d", episodez: 100 }) { id } }'),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(
      /^Field "episodez" is not defined by type "TrainConfigInput"\. Did you mean "episodes"/,
    );
    const evalErrors = validate(
      schema,
      parse('mutation { evaluate(checkpoint: "r", config: { dataset: "d", shots: 5 }) { id } }'),
    );
    expect(evalErrors[0].message).toMatch(/Field "shots" is not defined .* Did you mean "shot"\?/);
    // The same input as JSON variables (how the dashboard and scripts send it).
    const op = parse('mutation ($c: TrainConfigInput!) { startTraining(config: $c) { id } }');
    const def = op.definitions[0] as OperationDefinitionNode;
    const vars = getVariableValues(schema, def.variableDefinitions ?? [], {
      c: { dataset: 'd', episodez: 100 },
    });
    expect(vars.errors?.map((e) => e.message).join('\n')).toMatch(
      /Field "episodez" is not defined by type "TrainConfigInput"\. Did you mean "episodes"/,
    );
  });

  it("refuses an out-of-range value with core's message, naming the field, as the CLI does", () => {
    let detail = '';
    try {
      defaultTrainConfig({ way: 1 });
    } catch (e) {
      detail = (e as ConfigError).detail;
    }
    expect(detail).toBe('expected an integer >= 2, got 1');
    const e = thrown(() => trainConfigFromInput(input({ way: 1 }), server));
    expect(e.message).toBe(`way: ${detail}`);
    expect(e.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'way' });
    const lr = thrown(() => trainConfigFromInput(input({ lr: 0 }), server));
    expect(lr.message).toBe('lr: must be > 0, got 0');
    const method = thrown(() => trainConfigFromInput(input({ method: 'magic' }), server));
    expect(method.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'method' });
    const ev = thrown(() =>
      evalSettingsFromInput(
        { dataset: 'd', split: 'test', way: 1, shot: 1, query: 15, episodes: 10, seed: 0 },
        DEFAULT_LIMITS,
      ),
    );
    expect(ev.message).toBe(`way: ${detail}`);
  });

  it("applies this server's tighter limits as LIMIT_EXCEEDED, and the server's backend and data folder", () => {
    const over = thrown(() => trainConfigFromInput(input({ way: DEFAULT_LIMITS.maxWay + 1 }), server));
    expect(over.extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      field: 'way',
      limit: DEFAULT_LIMITS.maxWay,
    });
    expect(thrown(() => trainConfigFromInput(input({ workers: 99 }), server)).extensions?.code).toBe(
      'LIMIT_EXCEEDED',
    );
    const cfg = trainConfigFromInput(input({ imageSize: 32 }), server);
    expect(cfg).toMatchObject({
      backend: 'wasm',
      dataDir: '/data',
      model: { backbone: 'conv4', imageSize: 32 },
    });
    const settings = evalSettingsFromInput(
      {
        dataset: 'd',
        split: 'test',
        way: 5,
        shot: 1,
        query: EVAL_FIELDS.query.default,
        episodes: 600,
        seed: 0,
      },
      DEFAULT_LIMITS,
    );
    expect(settings).toEqual({
      dataset: 'd',
      split: 'test',
      way: 5,
      shot: 1,
      query: 15,
      episodes: 600,
      seed: 0,
    });
  });
});

describe('API config file', () => {
  const file = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  };

  it('refuses unknown keys, also inside limits, naming the file and suggesting the key', () => {
    const top = file('top.json', { prot: 4100 });
    expect(() => loadConfig({}, top)).toThrow(
      `config file ${top}: prot: unknown key 'prot'; did you mean 'port'?`,
    );
    const nested = file('nested.json', { limits: { maxWya: 10 } });
    expect(() => loadConfig({}, nested)).toThrow(
      `config file ${nested}: limits.maxWya: unknown key 'maxWya'; did you mean 'maxWay'?`,
    );
    const bad = file('bad.json', { inferenceWorkers: 0 });
    expect(() => loadConfig({}, bad)).toThrow(
      `config file ${bad}: inferenceWorkers: expected an integer >= 1, got 0`,
    );
  });

  it('environment > config file > defaults; a bad variable is named', () => {
    const path = file('ok.json', { port: 4100, inferenceWorkers: 3, backend: 'cpu', limits: { maxWay: 10 } });
    const c = loadConfig({ RCN_API_PORT: '4200', RCN_BACKEND: 'wasm' }, path);
    expect(c).toMatchObject({ port: 4200, inferenceWorkers: 3, backend: 'wasm' });
    expect(c.limits).toEqual({ ...DEFAULT_LIMITS, maxWay: 10 });
    // Which layer set each value (printed at start); the defaults are not listed.
    expect(c.sources).toEqual({
      port: 'env',
      backend: 'env',
      inferenceWorkers: 'file',
      'limits.maxWay': 'file',
    });
    expect(
      loadConfig({ RCN_RUNS_DIR: '/env/runs' }, file('dirs.json', { runsDir: '/f/runs' })).sources,
    ).toEqual({
      runsDir: 'env',
      dbPath: 'env', // beside the runs folder it follows
    });
    expect(loadConfig({}, undefined)).toMatchObject({ port: 4000, inferenceWorkers: 2, backend: 'auto' });
    expect(() => loadConfig({ RCN_API_INFERENCE_WORKERS: 'many' }, path)).toThrow(
      "inferenceWorkers (RCN_API_INFERENCE_WORKERS): expected a number, got 'many'",
    );
  });
});
