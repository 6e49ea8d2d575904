/**
 * Query limits and config behave. (The resolver map's agreement with the SDL is the compiler's job: its
 * types are generated from schema.graphql, see codegen.ts.)
 */
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { episodeWork, measureOperation } from '../src/graphql/limits.js';

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

  it('counts model work per inference field (images plus compared pairs), aliases included', () => {
    const p = (alias: string, way: number, shot: number, query: number) =>
      `${alias}: prediction(checkpoint: "r", episode: { dataset: "d", split: "s", way: ${way}, shot: ${shot}, query: ${query} }) { accuracy }`;
    // 20-way 10-shot 10-query: 400 images, 200 supports x 200 queries compared.
    expect(op(`{ ${p('a', 20, 10, 10)} }`).work).toBe(400 + 200 * 200);
    expect(op(`{ ${p('a', 20, 10, 10)} ${p('b', 20, 10, 10)} }`).work).toBe(2 * 40_400);
    expect(op(`{ ${p('a', 5, 1, 15)} }`).work).toBe(80 + 5 * 75);
    // Unknown sizes count as the largest the server allows.
    expect(
      op('query ($e: EpisodeInput!) { ram(checkpoint: "r", episode: $e, query: 0, support: 0) { score } }')
        .work,
    ).toBe(episodeWork(20, 10, 20));
    expect(op('{ prototypicalParts(checkpoint: "r", class: "c") { checkpoint } }').work).toBe(
      40 * episodeWork(5, 1, 5),
    );
    expect(op('{ runs { id } }').work).toBe(0);
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

  it('requires the token for inference by default only when listening beyond loopback', () => {
    expect(loadConfig({}, undefined).protectInference).toBe(false);
    expect(loadConfig({ RCN_API_HOST: '0.0.0.0' }, undefined).protectInference).toBe(true);
    expect(loadConfig({ RCN_API_HOST: '192.0.2.2' }, undefined).protectInference).toBe(true);
    expect(
      loadConfig({ RCN_API_HOST: '0.0.0.0', RCN_API_PROTECT_INFERENCE: 'false' }, undefined).protectInference,
    ).toBe(false);
    expect(loadConfig({ RCN_API_PROTECT_INFERENCE: 'on' }, undefined).protectInference).toBe(true);
    expect(() => loadConfig({ RCN_API_PROTECT_INFERENCE: 'maybe' }, undefined)).toThrow(/protectInference/);
  });
});
