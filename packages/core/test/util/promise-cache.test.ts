/** Promises cached by key: one load shared, failures dropped, the oldest (or least used) evicted. */
import { describe, expect, it } from 'vitest';
import { PromiseCache } from '../../src/util/index.js';

describe('PromiseCache', () => {
  it('shares one load between callers and keeps its result', async () => {
    const c = new PromiseCache<string, number>();
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    const [a, b] = [c.get('k', load), c.get('k', load)];
    expect(a).toBe(b);
    expect(await a).toBe(1);
    expect(await c.get('k', load)).toBe(1);
    expect(loads).toBe(1);
  });

  it('drops a failed load, so the next call loads again', async () => {
    const c = new PromiseCache<string, number>();
    await expect(c.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(c.size).toBe(0);
    expect(await c.get('k', () => Promise.resolve(2))).toBe(2);
  });

  it('evicts the oldest beyond max, or the least recently used with refreshOnHit', async () => {
    const order = async (refreshOnHit: boolean) => {
      const evicted: number[] = [];
      const c = new PromiseCache<string, number>({
        max: 2,
        refreshOnHit,
        onEvict: (p) => void p.then((v) => evicted.push(v)),
      });
      await c.get('a', () => Promise.resolve(1));
      await c.get('b', () => Promise.resolve(2));
      await c.get('a', () => Promise.resolve(99));
      await c.get('c', () => Promise.resolve(3));
      await Promise.resolve();
      return evicted;
    };
    expect(await order(false)).toEqual([1]);
    expect(await order(true)).toEqual([2]);
  });

  it('keepOnly drops every other entry through onEvict', async () => {
    const evicted: string[] = [];
    const c = new PromiseCache<string, string>({ onEvict: (p) => void p.then((v) => evicted.push(v)) });
    await c.get('a', () => Promise.resolve('a'));
    await c.get('b', () => Promise.resolve('b'));
    c.keepOnly('b');
    await Promise.resolve();
    expect(evicted).toEqual(['a']);
    expect(c.size).toBe(1);
  });
});
