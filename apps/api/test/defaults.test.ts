/**
 * One set of defaults: every default schema.graphql declares is core's (the zod schemas' fields, the CLI's
 * too), and the fields it leaves without one are those core decides itself.
 */
import { readFileSync } from 'node:fs';
import { buildSchema, type GraphQLArgument, type GraphQLInputField } from 'graphql';
import { describe, expect, it } from 'vitest';
import { EVAL_DEFAULT_VALUES, PARTS_DEFAULT_VALUES, TRAIN_DEFAULT_VALUES } from '@rcn/core';

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

/** Core's values of the keys the schema declares (a key core has no default for reads undefined). */
const coreValues = (values: Record<string, unknown>, declared: Record<string, unknown>) =>
  Object.fromEntries(Object.keys(declared).map((k) => [k, values[k]]));

describe('schema.graphql takes its defaults from core', () => {
  it('TrainConfigInput: core training defaults; the dataset, image side, grid and clipping are core’s to decide', () => {
    const { declared, without } = defaults(inputFields('TrainConfigInput'));
    expect(declared).toEqual(coreValues(TRAIN_DEFAULT_VALUES, declared));
    expect(without).toEqual(['clipNorm', 'dataset', 'imageSize', 'regionGrid', 'runId']);
  });

  it("EvaluateInput: core's evaluation defaults; the split is the run's (core's defaultTestSplit)", () => {
    const { declared, without } = defaults(inputFields('EvaluateInput'));
    expect(Object.keys(declared).sort()).toEqual(['episodes', 'query', 'seed', 'shot', 'way']);
    expect(declared).toEqual(coreValues(EVAL_DEFAULT_VALUES, declared));
    expect(without).toEqual(['dataset', 'split']);
  });

  it("prototypicalParts: core's parts defaults", () => {
    const { declared, without } = defaults(schema.getQueryType()!.getFields().prototypicalParts.args);
    expect(Object.keys(declared).sort()).toEqual(Object.keys(PARTS_DEFAULT_VALUES).sort());
    expect(declared).toEqual(coreValues(PARTS_DEFAULT_VALUES, declared));
    expect(without).toEqual(['checkpoint', 'class', 'dataset']);
  });
});
