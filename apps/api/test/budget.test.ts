/** The per-client work budget: a token bucket refilled over a minute, and a bound on pending requests. */
import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { ClientBudget } from '../src/graphql/budget.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as GraphQLError).extensions?.code as string;
  }
  return undefined;
};

describe('ClientBudget', () => {
  it('spends and refills work per client, continuously over a minute', () => {
    let now = 0;
    const b = new ClientBudget(1000, 10, () => now);
    b.acquire('a', 600)();
    expect(codeOf(() => b.acquire('a', 600))).toBe('RATE_LIMITED');
    // Another client has its own budget.
    expect(codeOf(() => b.acquire('b', 1000)())).toBeUndefined();
    now += 12_000; // a fifth of a minute: 200 units back, 600 in all
    expect(codeOf(() => b.acquire('a', 600)())).toBeUndefined();
    expect(codeOf(() => b.acquire('a', 1))).toBe('RATE_LIMITED');
    now += 10 * 60_000; // never more than one minute's worth
    b.acquire('a', 1000)();
    expect(codeOf(() => b.acquire('a', 1))).toBe('RATE_LIMITED');
  });

  it('refuses a client at once beyond its pending requests, and frees a slot when one ends', () => {
    const b = new ClientBudget(1_000_000, 2, () => 0);
    const r1 = b.acquire('a', 1);
    b.acquire('a', 1);
    expect(codeOf(() => b.acquire('a', 1))).toBe('SERVER_BUSY');
    expect(codeOf(() => b.acquire('b', 1))).toBeUndefined();
    r1();
    r1(); // releasing twice frees one slot only
    b.acquire('a', 1);
    expect(codeOf(() => b.acquire('a', 1))).toBe('SERVER_BUSY');
  });
});
