/**
 * Fixed episodes: the tasks JSON format (validated, errors naming the field), Lake's one-shot runs layout
 * imported as tasks (fixture written in that layout), and their evaluation: per-episode results that are
 * the predictions' own, mean accuracy with a t-based CI, the error rate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../../src/backend/index.js';
import { inputSpecOf } from '../../src/data/index.js';
import {
  evaluateTasks,
  formatTaskReport,
  importLakeRuns,
  isLakeRuns,
  meanCi95,
  readTaskFile,
} from '../../src/eval/index.js';
import { parseTaskFile, resolveTask } from '../../src/eval/tasks.js';
import { RCN } from '../../src/model/index.js';
import { predictFiles } from '../../src/predict/index.js';
import { tempDir } from '../data/_data-dir.js';

/** A 105x105 black-on-white stroke, as Omniglot's PNGs are. */
async function stroke(k: number, shift: number): Promise<Buffer> {
  const px = new Uint8Array(105 * 105).fill(255);
  for (let y = 10 + 8 * k; y < 18 + 8 * k; y++)
    for (let x = 5 + shift; x < 60 + shift; x++) px[y * 105 + x] = 0;
  return sharp(px, { raw: { width: 105, height: 105, channels: 1 } })
    .png()
    .toBuffer();
}

describe('fixed tasks and Lake one-shot runs', () => {
  const t = tempDir();
  const lake = join(t.dir, 'one-shot-classification');
  beforeAll(async () => {
    await initBackend('wasm');
    // Two runs of a 4-way version of Lake's layout; test item m belongs to training class (m * 3) % 4 + 1.
    for (const run of ['run01', 'run02']) {
      mkdirSync(join(lake, run, 'training'), { recursive: true });
      mkdirSync(join(lake, run, 'test'), { recursive: true });
      const lines: string[] = [];
      for (let i = 1; i <= 4; i++) {
        writeFileSync(
          join(lake, run, 'training', `class${String(i).padStart(2, '0')}.png`),
          await stroke(i, 0),
        );
        const c = ((i * 3) % 4) + 1;
        writeFileSync(join(lake, run, 'test', `item${String(i).padStart(2, '0')}.png`), await stroke(c, 4));
        lines.push(
          `${run}/test/item${String(i).padStart(2, '0')}.png ${run}/training/class${String(c).padStart(2, '0')}.png`,
        );
      }
      writeFileSync(join(lake, run, 'class_labels.txt'), lines.join('\n') + '\n');
    }
  });
  afterAll(() => t.cleanup());

  it('imports the runs: training images as one-shot classes, test images labelled by class_labels.txt', async () => {
    expect(await isLakeRuns(lake)).toBe(true);
    expect(await isLakeRuns(t.dir)).toBe(false);
    const file = await importLakeRuns(lake);
    expect(file.metric).toBe('error');
    expect(file.episodes.map((e) => e.id)).toEqual(['run01', 'run02']);
    const e = file.episodes[0];
    expect(e.support.map((s) => s.label)).toEqual(['class01', 'class02', 'class03', 'class04']);
    expect(e.query[0]).toEqual({ path: 'run01/test/item01.png', label: 'class04' });
    const task = resolveTask(file, 1, lake, 'lake');
    expect(task.support.shot).toBe(1);
    expect(task.query[2]).toEqual({ path: join(lake, 'run02', 'test', 'item03.png'), label: 'class02' });
  });

  it('evaluates every task: per-episode counts are the predictions, mean ± t CI, error rate', async () => {
    const file = await importLakeRuns(lake);
    const model = new RCN({
      backbone: 'conv4',
      widths: [8, 8, 8, 8],
      imageSize: 28,
      seed: 2,
      bnInference: 'running',
    });
    const spec = inputSpecOf({
      model: { imageSize: 28 },
      dataset: 'omniglot',
      normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    });
    try {
      const r = await evaluateTasks(model, spec, file, join(lake, 'virtual.json'), { baseDir: lake });
      expect(r.episodes).toBe(2);
      for (const p of r.perEpisode) {
        const task = resolveTask(file, p.index, lake, 'lake');
        const direct = await predictFiles(model, spec, task.support, task.query);
        expect(p.correct).toBe(direct.queries.filter((q) => q.correct).length);
        expect(p).toMatchObject({
          way: 4,
          shot: 1,
          queries: 4,
          errorRate: 1 - p.correct / 4,
          outOfDomain: 0,
        });
      }
      const m = meanCi95(r.perEpisode.map((p) => p.accuracy));
      expect(r.accuracy).toBe(m.mean);
      expect(r.ci95).toBe(m.ci95);
      expect(r.errorRate).toBeCloseTo(1 - m.mean, 12);
      expect(formatTaskReport(r)).toMatch(
        /^run01: error \d+\.\d\d% \(\d\/4 right, 4-way 1-shot\)\nrun02: .*\n.*: error rate/,
      );
    } finally {
      model.dispose();
    }
  });

  it('stops between episodes when its signal is aborted (a cancelled API job)', async () => {
    const file = await importLakeRuns(lake);
    const model = new RCN({ backbone: 'conv4', widths: [8, 8, 8, 8], imageSize: 28, seed: 2 });
    const spec = inputSpecOf({
      model: { imageSize: 28 },
      dataset: 'omniglot',
      normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    });
    const ac = new AbortController();
    const done: number[] = [];
    try {
      await expect(
        evaluateTasks(model, spec, file, join(lake, 'virtual.json'), {
          baseDir: lake,
          signal: ac.signal,
          onProgress: (n) => {
            done.push(n);
            ac.abort();
          },
        }),
      ).rejects.toThrow(/cancelled/);
      expect(done).toEqual([1]);
    } finally {
      model.dispose();
    }
  });

  it('a tasks JSON: relative paths, bad fields named, labels checked', async () => {
    const path = join(t.dir, 'tasks.json');
    const ok = {
      episodes: [
        {
          id: 'e0',
          support: [
            { path: 'one-shot-classification/run01/training/class01.png', label: 'a' },
            { path: 'one-shot-classification/run01/training/class02.png', label: 'b' },
          ],
          query: [{ path: 'one-shot-classification/run01/test/item02.png', label: 'b' }],
        },
      ],
    };
    writeFileSync(path, JSON.stringify(ok));
    const file = await readTaskFile(path);
    expect(resolveTask(file, 0, t.dir, path).support.files[1].path).toBe(
      join(lake, 'run01', 'training', 'class02.png'),
    );
    expect(() =>
      parseTaskFile({ episodes: [{ ...ok.episodes[0], query: [{ path: 'x.png' }] }] }, path),
    ).toThrow(`${path}: episodes[0].query[0].label:`);
    expect(() => parseTaskFile({ episodes: [] }, path)).toThrow(`${path}: episodes:`);
    const wrong = parseTaskFile(
      { episodes: [{ ...ok.episodes[0], query: [{ path: 'q.png', label: 'zebra' }] }] },
      path,
    );
    expect(() => resolveTask(wrong, 0, t.dir, path)).toThrow(
      `${path}: episodes[0].query[0].label: 'zebra' is not a support label`,
    );
    writeFileSync(join(lake, 'run02', 'class_labels.txt'), 'run02/test/item01.png\n');
    await expect(importLakeRuns(lake)).rejects.toThrow(
      `${join(lake, 'run02', 'class_labels.txt')}: line 1: expected 'test-image training-image', got 'run02/test/item01.png'`,
    );
  });
});
