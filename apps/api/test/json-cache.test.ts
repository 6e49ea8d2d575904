/** The parsed-report cache: a hit while the file is unchanged, a miss once it changes, bounded by bytes. */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonFileCache } from '../src/services/json-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'rcn-json-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('JsonFileCache', () => {
  it('parses a file once while it is unchanged, again after it changes', async () => {
    const cache = new JsonFileCache(1 << 20);
    const file = join(dir, 'report.json');
    writeFileSync(file, JSON.stringify({ accuracy: 0.5 }));
    let parses = 0;
    const parse = (j: unknown) => {
      parses++;
      return j as { accuracy: number };
    };
    expect((await cache.read(file, parse)).accuracy).toBe(0.5);
    expect((await cache.read(file, parse)).accuracy).toBe(0.5);
    expect(parses).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, entries: 1 });
    // Same size, new mtime (a report replaced by one of equal length).
    writeFileSync(file, JSON.stringify({ accuracy: 0.7 }));
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    expect((await cache.read(file, parse)).accuracy).toBe(0.7);
    // New size.
    writeFileSync(file, JSON.stringify({ accuracy: 0.75 }));
    expect((await cache.read(file, parse)).accuracy).toBe(0.75);
    expect(parses).toBe(3);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 3, entries: 1 });
  });

  it('never caches a failure, and evicts the least recently used files beyond its byte bound', async () => {
    const cache = new JsonFileCache(250);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    await expect(cache.read(bad)).rejects.toThrow(SyntaxError);
    writeFileSync(bad, '{"ok":true}');
    await expect(cache.read(bad)).resolves.toEqual({ ok: true });
    const files = [0, 1, 2].map((i) => {
      const f = join(dir, `big-${i}.json`);
      writeFileSync(f, JSON.stringify({ i, pad: 'x'.repeat(100) }));
      return f;
    });
    for (const f of files) await cache.read(f);
    // 3 x ~115 bytes do not fit in 250: the oldest went.
    expect(cache.stats().bytes).toBeLessThanOrEqual(250);
    const before = cache.stats().misses;
    await cache.read(files[2]);
    expect(cache.stats().misses).toBe(before);
    await cache.read(files[0]);
    expect(cache.stats().misses).toBe(before + 1);
  });
});

describe('JsonFileCache, concurrent reads', () => {
  it('parses a version once when requests for it arrive together', async () => {
    const cache = new JsonFileCache(1 << 20);
    const file = join(dir, 'together.json');
    writeFileSync(file, JSON.stringify({ classes: Array.from({ length: 1000 }, (_v, i) => i) }));
    let parses = 0;
    const parse = (j: unknown) => {
      parses++;
      return j;
    };
    const all = await Promise.all([1, 2, 3, 4].map(() => cache.read(file, parse)));
    expect(parses).toBe(1);
    expect(new Set(all).size).toBe(1);
  });
});
