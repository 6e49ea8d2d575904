/**
 * A user's own images through the built CLI: a folder of PGM class folders is listed by `datasets`,
 * trained on by path (seeded class split), evaluated, and used by `predict` (text, --json, --explain).
 * The fixture is written by the test in the real on-disk format (binary PGM).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeNetpbm } from '@rcn/core';

const main = resolve(fileURLToPath(new URL('../dist/main.js', import.meta.url)));

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
    for (let x = 2 + i; x < 14 + c + i && x < 28; x++) data[y * 28 + x] = 10;
  return encodeNetpbm({ width: 28, height: 28, channels: 1, data });
}

describe('your own images in the CLI', () => {
  let dir: string;
  let data: string;
  let mine: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rcn-own-'));
    data = join(dir, 'data');
    mine = join(data, 'mine');
    for (let c = 0; c < 12; c++) {
      mkdirSync(join(mine, `s${c + 1}`), { recursive: true });
      for (let i = 0; i < 5; i++) writeFileSync(join(mine, `s${c + 1}`, `${i + 1}.pgm`), glyph(c, i));
    }
    writeFileSync(join(mine, 's1', 'Thumbs.db'), 'x');
    // predict's inputs: two support classes and a labelled query folder, plus one photo-like colour file.
    for (const [k, c] of [
      [0, 'top'],
      [9, 'low'],
    ] as const) {
      mkdirSync(join(dir, 'support', c), { recursive: true });
      mkdirSync(join(dir, 'query', c), { recursive: true });
      writeFileSync(join(dir, 'support', c, 'a.pgm'), glyph(k, 0));
      writeFileSync(join(dir, 'query', c, 'b.pgm'), glyph(k, 3));
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('`datasets` lists the folder with its seeded splits and the file it cannot read', () => {
    const r = cli(['datasets', '--data-dir', data, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const d = (JSON.parse(r.stdout) as { datasets: { name: string; summary: unknown[]; skipped: unknown }[] })
      .datasets[0];
    expect(d).toMatchObject({ name: 'mine', format: 'image-folder', skipped: { '.db': 1 } });
    expect(d.summary).toEqual([
      { split: 'train', classes: 8, images: 40 },
      { split: 'val', classes: 2, images: 10 },
      { split: 'test', classes: 2, images: 10 },
      { split: 'all', classes: 12, images: 60 },
    ]);
    const text = cli(['datasets', '--data-dir', data]);
    expect(text.stdout).toMatch(/note: no splits\.json/);
    expect(text.stdout).toMatch(/warning: 1 file not read \(\.db x1\)/);
  });

  it('trains on the folder by path, evaluates it, and predicts with --json and --explain', async () => {
    const runs = join(dir, 'runs');
    const t = cli([
      'train',
      '--dataset',
      mine,
      '--image-size',
      '28',
      '--way',
      '2',
      '--query',
      '2',
      '--val-query',
      '2',
      '--episodes',
      '2',
      '--val-every',
      '2',
      '--val-episodes',
      '2',
      '--runs-dir',
      runs,
      '--run-id',
      'r',
      '--json',
    ]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/warning: .*mine: 1 file not read/);
    // A 2-episode run still logs a training metric per episode (a curve, not one point).
    const events = t.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(events.filter((e) => e.type === 'train')).toHaveLength(2);
    const e = cli([
      'eval',
      '--checkpoint',
      join(runs, 'r'),
      '--way',
      '2',
      '--query',
      '2',
      '--episodes',
      '3',
      '--json',
    ]);
    expect(e.status, e.stderr).toBe(0);
    expect((JSON.parse(e.stdout) as { episodes: number }).episodes).toBe(3);

    const p = cli([
      'predict',
      '--checkpoint',
      join(runs, 'r'),
      '--support',
      join(dir, 'support'),
      '--query',
      join(dir, 'query'),
      '--json',
    ]);
    expect(p.status, p.stderr).toBe(0);
    const res = JSON.parse(p.stdout) as {
      classes: string[];
      spec: { channels: number; resize: string; size: number };
      queries: { trueLabel: string; predicted: string; probabilities: number[] }[];
    };
    expect(res.classes).toEqual(['low', 'top']);
    expect(res.spec).toMatchObject({ channels: 3, resize: 'lanczos3', size: 28 });
    expect(res.queries.map((q) => q.trueLabel)).toEqual(['low', 'top']);
    for (const q of res.queries) expect(q.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);

    const out = join(dir, 'explained');
    const x = cli([
      'predict',
      '--checkpoint',
      join(runs, 'r'),
      '--support',
      join(dir, 'support'),
      '--query',
      join(dir, 'query', 'top', 'b.pgm'),
      '--explain',
      out,
    ]);
    expect(x.status, x.stderr).toBe(0);
    expect(x.stdout).toMatch(/^b\.pgm: (top|low) \d+\.\d%/);
    expect((await readdir(out)).sort()).toEqual(['pairs', 'panel-1.png', 'ram-1.json']);
    expect((await readdir(join(out, 'pairs'))).sort()).toEqual(['q0-s0.png', 'q0-s1.png']);
    expect(existsSync(join(runs, 'r', 'checkpoints', 'best', 'metadata.json'))).toBe(true);

    // Lake's one-shot layout (2-way here): imported to a tasks file, evaluated as fixed episodes.
    const lake = join(dir, 'lake');
    for (const run of ['run01', 'run02']) {
      mkdirSync(join(lake, run, 'training'), { recursive: true });
      mkdirSync(join(lake, run, 'test'), { recursive: true });
      for (const k of [1, 2]) {
        writeFileSync(join(lake, run, 'training', `class0${k}.pgm`), glyph(k * 4, 0));
        writeFileSync(join(lake, run, 'test', `item0${k}.pgm`), glyph((3 - k) * 4, 2));
      }
      writeFileSync(
        join(lake, run, 'class_labels.txt'),
        `${run}/test/item01.pgm ${run}/training/class02.pgm\n${run}/test/item02.pgm ${run}/training/class01.pgm\n`,
      );
    }
    const imp = cli(['tasks', 'import-lake', lake]);
    expect(imp.status, imp.stderr).toBe(0);
    expect(imp.stdout).toMatch(/2 runs \(2-way 1-shot\) written to/);
    const ft = cli(['eval', '--checkpoint', join(runs, 'r'), '--tasks', join(lake, 'tasks.json'), '--json']);
    expect(ft.status, ft.stderr).toBe(0);
    const rep = JSON.parse(ft.stdout) as {
      metric: string;
      episodes: number;
      perEpisode: { id: string; queries: number }[];
    };
    expect(rep).toMatchObject({ metric: 'error', episodes: 2 });
    expect(rep.perEpisode.map((e) => [e.id, e.queries])).toEqual([
      ['run01', 2],
      ['run02', 2],
    ]);
    const direct = cli(['eval', '--checkpoint', join(runs, 'r'), '--tasks', lake]);
    expect(direct.status, direct.stderr).toBe(0);
    expect(direct.stdout).toMatch(/^run01: error \d+\.\d\d%.*\nrun02: .*\n.*error rate \d+\.\d\d%, accuracy/);
    expect(existsSync(join(runs, 'r', 'tasks', 'best-tasks-lake.json'))).toBe(true);

    const bad = cli([
      'predict',
      '--checkpoint',
      join(runs, 'r'),
      '--support',
      join(dir, 'support', 'top'),
      '--query',
      join(dir, 'query'),
    ]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/support needs at least 2 class folders, found 0/);
  });
});
