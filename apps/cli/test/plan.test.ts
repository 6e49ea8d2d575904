/**
 * A run's plan is checked before its first episode (issue 24): a validation split too small for `way`, or
 * classes with fewer images than shot + validation queries, or an episode too large for memory, stop
 * `train` at start-up with one message naming the flag to change, and leave no run folder. A run that failed
 * before training an episode does not block its run id. Real on-disk fixtures (binary PGM image folders)
 * written by the test; Omniglot from the shared data folder for the memory estimate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireSharedData } from '@rcn/test-utils';
import { encodeNetpbm } from '@rcn/core';

const main = resolve(fileURLToPath(new URL('../dist/main.js', import.meta.url)));
const { available: haveOmniglot, dir: dataDir } = requireSharedData('omniglot');

function cli(args: string[]) {
  return spawnSync(process.execPath, [main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, RCN_BACKEND: 'wasm' },
  });
}

/** 28x28 grey: class c is a bar at a class-specific row and width, image i shifts it. */
function glyph(c: number, i: number): Uint8Array {
  const data = new Uint8Array(28 * 28).fill(245);
  const row = 2 + 2 * c;
  for (let y = row; y < row + 3; y++)
    for (let x = 2 + (i % 10); x < 14 + c + (i % 10) && x < 28; x++) data[y * 28 + x] = 10;
  return encodeNetpbm({ width: 28, height: 28, channels: 1, data });
}

/** A folder of class folders `c1..cN` with the given image counts. */
function imageFolder(dir: string, counts: number[]): void {
  counts.forEach((n, c) => {
    mkdirSync(join(dir, `c${c + 1}`), { recursive: true });
    for (let i = 0; i < n; i++) writeFileSync(join(dir, `c${c + 1}`, `${i + 1}.pgm`), glyph(c, i));
  });
}

describe('the plan is checked before the first episode', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rcn-plan-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a validation split with fewer classes than --way stops train at start, naming the fix; no run folder', () => {
    // Six classes, no splits.json: the seeded rule gives validation one class.
    const six = join(dir, 'six');
    imageFolder(six, [20, 20, 20, 20, 20, 20]);
    const runs = join(dir, 'runs-six');
    const r = cli([
      'train',
      '--dataset',
      six,
      '--way',
      '2',
      '--episodes',
      '5',
      '--val-every',
      '5',
      '--runs-dir',
      runs,
    ]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/validation split 'val' of .*six has 1 class, fewer than way = 2/);
    expect(r.stderr).toMatch(/splits\.json/);
    // Nothing trained, nothing written.
    expect(r.stderr).not.toMatch(/train \d+\/5/);
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
  });

  it('classes with fewer images than shot + --val-query are named with the --val-query that fits', () => {
    const small = join(dir, 'small');
    imageFolder(small, [20, 20, 20, 20, 8, 20, 6]);
    writeFileSync(
      join(small, 'splits.json'),
      JSON.stringify({ train: ['c1', 'c2', 'c3', 'c4'], val: ['c5', 'c6', 'c7'], test: ['c1', 'c2'] }),
    );
    const runs = join(dir, 'runs-small');
    const r = cli(['train', '--dataset', small, '--way', '3', '--episodes', '4', '--runs-dir', runs]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /validation split 'val' of .*small: 2 classes have fewer images \(fewest: 'c7', 6\), fewer than shot \+ queries = 1 \+ 15 = 16/,
    );
    expect(r.stderr).toContain('`--val-query 5`');
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
    // The fix it names works.
    const fixed = cli([
      'train',
      '--dataset',
      small,
      '--way',
      '3',
      '--query',
      '2',
      '--val-query',
      '5',
      '--episodes',
      '2',
      '--val-episodes',
      '2',
      '--runs-dir',
      runs,
      '--run-id',
      'fixed',
      '--json',
    ]);
    expect(fixed.status, fixed.stderr).toBe(0);
    expect(JSON.parse(fixed.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      status: 'finished',
      episode: 2,
    });
  });

  it('a run that failed before its first episode does not block its run id: the same id starts over', () => {
    const broken = join(dir, 'broken');
    imageFolder(broken, [6, 6, 6, 6, 6, 6]);
    // Every image of the train split's classes is unreadable: the first episode fails.
    writeFileSync(
      join(broken, 'splits.json'),
      JSON.stringify({ train: ['c1', 'c2'], val: ['c3', 'c4'], test: ['c5', 'c6'] }),
    );
    for (const c of ['c1', 'c2'])
      for (let i = 1; i <= 6; i++) writeFileSync(join(broken, c, `${i}.pgm`), 'P5\n28 28\n255\n');
    const runs = join(dir, 'runs-broken');
    const args = [
      'train',
      '--dataset',
      broken,
      '--way',
      '2',
      '--query',
      '2',
      '--val-query',
      '2',
      '--episodes',
      '2',
      '--val-episodes',
      '1',
      '--runs-dir',
      runs,
      '--run-id',
      'again',
      '--json',
    ];
    const first = cli(args);
    expect(first.status).toBe(1);
    expect(first.stderr).toMatch(/c[12]\/\d\.pgm/);
    // The failure is kept for `runs` to show...
    const st = JSON.parse(readFileSync(join(runs, 'again', 'status.json'), 'utf8')) as {
      status: string;
      episode: number;
    };
    expect(st).toMatchObject({ status: 'failed', episode: 0 });
    // ...and once the data is fixed, the same run id starts over instead of "already exists; resume it".
    for (const c of [0, 1])
      for (let i = 1; i <= 6; i++) writeFileSync(join(broken, `c${c + 1}`, `${i}.pgm`), glyph(c, i));
    const second = cli(args);
    expect(second.status, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      id: 'again',
      status: 'finished',
      episode: 2,
    });
    // A run that trained is still protected.
    const third = cli(args);
    expect(third.status).toBe(1);
    expect(third.stderr).toMatch(/run 'again' already exists/);
  });

  it.skipIf(!haveOmniglot)(
    'an episode too large for memory is refused at start with the estimate (512 px, 200-way, 19 queries)',
    () => {
      const runs = join(dir, 'runs-big');
      const r = cli([
        'train',
        '--data-dir',
        dataDir,
        '--dataset',
        'omniglot',
        '--image-size',
        '512',
        '--way',
        '200',
        '--query',
        '19',
        '--val-query',
        '19',
        '--episodes',
        '2',
        '--runs-dir',
        runs,
      ]);
      expect(r.status, r.stderr).toBe(2);
      const m =
        /one training episode, way 200 x \(shot 1 \+ queries 19\) = 4000 images of 512 px through conv4, needs at least ([\d.]+) GiB .*over the wasm backend's 4 GiB heap/.exec(
          r.stderr,
        );
      expect(m, r.stderr).not.toBeNull();
      // At least the input batch: 4000 images x 512 x 512 x 3 float32.
      expect(Number(m![1])).toBeGreaterThan((4000 * 512 * 512 * 3 * 4) / 2 ** 30);
      expect(r.stderr).toMatch(/--way.*--image-size/);
      expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
    },
  );

  it('a sweep is checked cell by cell before any cell runs: an evaluation split too small is named', () => {
    const folder = join(dir, 'sweepdata');
    imageFolder(folder, [12, 12, 12, 12, 12, 12, 12]);
    writeFileSync(
      join(folder, 'splits.json'),
      JSON.stringify({ train: ['c1', 'c2', 'c3'], val: ['c4', 'c5'], test: ['c6', 'c7'] }),
    );
    const yaml = join(dir, 'plan-sweep.yaml');
    writeFileSync(
      yaml,
      [
        `base: { dataset: ${JSON.stringify(folder)}, episodes: 2, valEpisodes: 1, query: 2, valQuery: 2, backend: wasm }`,
        'grid: { lr: [0.001, 0.002] }',
        'seeds: 1',
        'eval: { split: test, way: 3, query: 2, episodes: 2 }',
      ].join('\n'),
    );
    const runs = join(dir, 'runs-sweep');
    const r = cli(['sweep', yaml, '--runs-dir', runs, '--data-dir', dir]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /evaluation split 'test' of .*sweepdata has 2 classes, fewer than way = 3; change: `eval\.way: 2` or fewer.*\[every cell\]/,
    );
    // Nothing ran and no plan was saved.
    expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
  });
});
