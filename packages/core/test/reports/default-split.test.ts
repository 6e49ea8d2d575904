/** The test split an evaluation takes when none is given: Lake's `evaluation` after Lake's training split. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTestSplit } from '../../src/reports/index.js';

describe('defaultTestSplit', () => {
  let dir: string;
  const run = async (name: string, trainSplit: string) => {
    await mkdir(join(dir, name), { recursive: true });
    await writeFile(join(dir, name, 'config.json'), JSON.stringify({ trainSplit }));
    return join(dir, name);
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rcn-default-split-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("is `evaluation` for a run trained on Lake's split, `test` otherwise", async () => {
    expect(await defaultTestSplit(await run('lake', 'lake-train'))).toBe('evaluation');
    expect(await defaultTestSplit(await run('vinyals', 'train'))).toBe('test');
  });

  it('is `test` outside a run and for a run whose configuration cannot be read', async () => {
    expect(await defaultTestSplit(null)).toBe('test');
    expect(await defaultTestSplit(join(dir, 'no-such-run'))).toBe('test');
  });
});
