/**
 * One set of defaults: every default schema.graphql declares is core's (the zod schemas' fields, the CLI's
 * too), and the fields it leaves without one are those core decides itself.
 */
import { readFileSync } from 'node:fs';
import { buildSchema, type GraphQLArgument, type GraphQLInputField } from 'graphql';
import { describe, expect, it } from 'vitest';
import { EVAL_FIELDS, PARTS_FIELDS, PARTS_SPLIT, TRAIN_DEFAULTS, TRAIN_FIELDS } from '@rcn/core';

const schema = buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

/** Name -> default of the fields (or arguments) that declare one; the others as a sorted list. */
function defaults(fields: readonly (GraphQLInputField | GraphQLArgument)[]) {
  const declared = Object.fromEntries(
    fields.filter((f) => f.defaultValue !== undefined).map((f) => [f.name, f.defaultValue]),
  );
  const without = fields.filter((f) => f.defaultValue === undefined).map((f) => f.name);
  return { declared, without: without.sort() };
}

const inputFields = (name: string) => {
  const type = schema.getType(name);
  if (!type || !('getFields' in type)) throw new Error(`schema.graphql has no input ${name}`);
  return Object.values(type.getFields()) as GraphQLInputField[];
};

const intDefaults = <K extends string>(fields: Record<K, { default?: number }>, keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, fields[k].default]));

describe('schema.graphql takes its defaults from core', () => {
  it('TrainConfigInput: core training defaults; the dataset, image side, grid and clipping are core’s to decide', () => {
    const { declared, without } = defaults(inputFields('TrainConfigInput'));
    const ints = [
      'way',
      'shot',
      'query',
      'valQuery',
      'episodes',
      'valEvery',
      'valEpisodes',
      'seed',
      'workers',
    ] as const;
    const { method, trainSplit, valSplit, backbone, lr, augment } = TRAIN_DEFAULTS;
    expect(declared).toEqual({
      ...intDefaults(TRAIN_FIELDS, ints),
      method,
      trainSplit,
      valSplit,
      backbone,
      lr,
      augment,
    });
    expect(without).toEqual(['clipNorm', 'dataset', 'imageSize', 'regionGrid', 'runId']);
  });

  it("EvaluateInput: core's evaluation defaults; the split is the run's (core's defaultTestSplit)", () => {
    const { declared, without } = defaults(inputFields('EvaluateInput'));
    expect(declared).toEqual(intDefaults(EVAL_FIELDS, ['way', 'shot', 'query', 'episodes', 'seed'] as const));
    expect(without).toEqual(['dataset', 'split']);
  });

  it("prototypicalParts: core's parts defaults", () => {
    const parts = schema.getQueryType()!.getFields().prototypicalParts;
    const { declared, without } = defaults(parts.args);
    const keys = [
      'episodes',
      'way',
      'shot',
      'query',
      'seed',
      'parts',
      'patchesPerPart',
      'topRegions',
    ] as const;
    expect(declared).toEqual({ split: PARTS_SPLIT, ...intDefaults(PARTS_FIELDS, keys) });
    expect(without).toEqual(['checkpoint', 'class', 'dataset']);
  });
});
