/** The SDL and the hand-written resolver map agree; limits and config behave. */
import {
  buildSchema,
  GraphQLObjectType,
  GraphQLScalarType,
  Kind,
  parse,
  type OperationDefinitionNode,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { measureOperation } from '../src/graphql/limits.js';
import { resolvers } from '../src/graphql/resolvers/index.js';
import { loadTypeDefs } from '../src/graphql/schema.js';

const schema = buildSchema(loadTypeDefs());

describe('schema and resolvers', () => {
  it('every resolver names a type and field of the schema', () => {
    for (const [typeName, fields] of Object.entries(resolvers)) {
      const type = schema.getType(typeName);
      expect(type, `type ${typeName}`).toBeDefined();
      if (fields instanceof GraphQLScalarType) {
        expect(type).toBeInstanceOf(GraphQLScalarType);
        continue;
      }
      expect(type).toBeInstanceOf(GraphQLObjectType);
      const schemaFields = (type as GraphQLObjectType).getFields();
      for (const f of Object.keys(fields as object))
        expect(schemaFields[f], `${typeName}.${f}`).toBeDefined();
    }
  });

  it('every root field has a resolver', () => {
    for (const root of ['Query', 'Mutation', 'Subscription'] as const) {
      const fields = Object.keys(
        schema.getType(root) instanceof GraphQLObjectType
          ? (schema.getType(root) as GraphQLObjectType).getFields()
          : {},
      );
      expect(Object.keys(resolvers[root]).sort()).toEqual(fields.sort());
    }
  });

  it('fields without a resolver exist on their parent model', () => {
    // Spot checks of default (property) resolution for models the resolvers return.
    const run = (schema.getType('Run') as GraphQLObjectType).getFields();
    for (const f of ['id', 'status', 'config', 'episode', 'bestValAccuracy', 'startedAt', 'updatedAt'])
      expect(run[f]).toBeDefined();
  });
});

function op(query: string) {
  const doc = parse(query);
  const operation = doc.definitions.find(
    (d) => d.kind === Kind.OPERATION_DEFINITION,
  ) as OperationDefinitionNode;
  const fragments = Object.fromEntries(
    doc.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  return measureOperation(operation, fragments, { n: 7 });
}

describe('query limits', () => {
  it('measures depth through fragments', () => {
    expect(op('{ backend { name } }').depth).toBe(2);
    expect(op('query { datasets { ...S } } fragment S on Dataset { splits { name } }').depth).toBe(3);
  });

  it('multiplies cost by list limits, literal or variable', () => {
    const a = op('{ dataset(id: "x") { splits { classes(limit: 10) { id } } } }').cost;
    const b = op('{ dataset(id: "x") { splits { classes(limit: 100) { id } } } }').cost;
    expect(b).toBeGreaterThan(a * 5);
    expect(op('query ($n: Int) { runs(limit: $n) { id } }').cost).toBe(1 + 7);
  });
});

describe('config', () => {
  it('reads the environment, generates a token when none is set, and rejects bad values', () => {
    const c = loadConfig({ RCN_API_PORT: '1234', RCN_RUNS_DIR: '/tmp/r', RCN_DATA_DIR: '/tmp/d' }, undefined);
    expect(c.port).toBe(1234);
    expect(c.dbPath).toBe('/tmp/r/.rcn-api.sqlite');
    expect(c.tokenGenerated).toBe(true);
    expect(c.token.length).toBeGreaterThanOrEqual(16);
    expect(() => loadConfig({ RCN_API_PORT: 'x' }, undefined)).toThrow(/port/);
    expect(() => loadConfig({ RCN_API_TOKEN: 'short' }, undefined)).toThrow(/16 characters/);
  });
});
