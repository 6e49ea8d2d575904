/**
 * Lake et al.'s Omniglot one-shot classification runs (`one-shot-classification/` of
 * brendenlake/omniglot): `runNN/class_labels.txt` lines `runNN/test/itemMM.png runNN/training/classKK.png`
 * (paths relative to the folder holding the runs), 20 training images (one per class) and 20 test images
 * per run: 20-way 1-shot. Imported as a task file whose metric is the error rate, as that protocol reports.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { readText, DataError, imageExtensions } from '../data/index.js';
import type { TaskFile } from './tasks.js';

const RUN = /^run\d+$/;

/** Whether `dir` holds Lake's layout (a `runNN/class_labels.txt`). */
export async function isLakeRuns(dir: string): Promise<boolean> {
  const runs = await readdir(dir).catch(() => [] as string[]);
  for (const r of runs.filter((r) => RUN.test(r)))
    if (
      await stat(join(dir, r, 'class_labels.txt')).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return true;
  return false;
}

/** The runs of `dir` as tasks (paths relative to `dir`): supports are the training images, each its own class. */
export async function importLakeRuns(dir: string): Promise<TaskFile> {
  const runs = (
    await readdir(dir).catch((e: NodeJS.ErrnoException) => {
      throw new DataError(dir, `cannot list runs (${e.code ?? e.message})`);
    })
  )
    .filter((r) => RUN.test(r))
    .sort();
  if (!runs.length)
    throw new DataError(dir, 'no runNN folders (Lake one-shot layout: runNN/class_labels.txt)');
  const episodes: TaskFile['episodes'] = [];
  for (const run of runs) {
    const file = join(dir, run, 'class_labels.txt');
    const lines = (await readText(file, 'class labels'))
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
    const pairs = lines.map((l, i) => {
      const parts = l.split(/\s+/);
      if (parts.length !== 2)
        throw new DataError(file, `line ${i + 1}: expected 'test-image training-image', got '${l}'`);
      return { test: parts[0], train: parts[1] };
    });
    const training = (
      await readdir(join(dir, run, 'training')).catch(() => {
        throw new DataError(join(dir, run, 'training'), 'missing training folder');
      })
    )
      .filter((f) => imageExtensions().has(extname(f).toLowerCase()))
      .sort()
      .map((f) => `${run}/training/${f}`);
    const known = new Set(training);
    pairs.forEach((p, i) => {
      if (!known.has(p.train))
        throw new DataError(
          file,
          `line ${i + 1}: '${p.train}' is not an image in ${join(dir, run, 'training')}`,
        );
    });
    const label = (p: string) => basename(p, extname(p));
    episodes.push({
      id: run,
      support: training.map((p) => ({ path: p, label: label(p) })),
      query: pairs.map((p) => ({ path: p.test, label: label(p.train) })),
    });
  }
  return {
    format: 'rcn-tasks',
    version: 1,
    name: `Lake one-shot runs (${basename(dir)})`,
    metric: 'error',
    episodes,
  };
}
