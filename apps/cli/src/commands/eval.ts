import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  defaultDataDir,
  evaluateModel,
  formatAccuracy,
  formatBackend,
  initBackend,
  checkWorkers,
  openDataset,
  parseBackendName,
  evaluateTasks,
  formatTaskReport,
  importLakeRuns,
  inputSpecOf,
  isLakeRuns,
  loadModelCheckpoint,
  OMNIGLOT_SCHEMES,
  readTaskFile,
  type CheckpointMetadata,
  type FewShotModel,
  resolveCheckpointDir,
  startReplicas,
  writeJsonAtomic,
} from '@rcn/core';
import { intFlag as int } from '../args.js';
import { UsageError } from '../exit-codes.js';
import { progressBar } from '../progress.js';

interface EvalFlags {
  checkpoint: string;
  dataset?: string;
  dataDir?: string;
  split?: string;
  way: string;
  shot: string;
  query: string;
  episodes: string;
  seed: string;
  workers: string;
  bn?: string;
  backend?: string;
  tasks?: string;
  json?: boolean;
}

/** `--tasks`: every fixed episode of a file (or of Lake's runs), written beside the checkpoint. */
async function evalTasks(
  path: string,
  ckDir: string,
  model: FewShotModel,
  metadata: CheckpointMetadata,
  method: string,
  json: boolean,
): Promise<void> {
  const lake = await isLakeRuns(path);
  const file = lake ? await importLakeRuns(path) : await readTaskFile(path);
  const bar = progressBar('tasks', file.episodes.length);
  const report = await evaluateTasks(model, inputSpecOf(metadata), file, path, {
    ...(lake && { baseDir: resolve(path) }),
    onProgress: (done, _t, acc) => bar.update(done, { acc: `${(100 * acc).toFixed(2)}%` }),
  });
  bar.stop();
  const name = `tasks-${basename(path)
    .replace(/\.json$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')}.json`;
  const out = { checkpoint: ckDir, method, ...report };
  await writeJsonAtomic(join(ckDir, name), out);
  const runDir = dirname(dirname(ckDir));
  // In the run's tasks/, not evaluations/: the report has per-episode results, not per-class ones.
  if (basename(dirname(ckDir)) === 'checkpoints' && existsSync(join(runDir, 'config.json')))
    await writeJsonAtomic(join(runDir, 'tasks', `${basename(ckDir)}-${name}`), out);
  if (json) console.log(JSON.stringify(out, null, 2));
  else {
    console.log(formatTaskReport(report));
    console.log(`report: ${join(ckDir, name)}`);
  }
}

/** The test split of the run around a checkpoint: `evaluation` after Lake's split, else `test`. */
async function defaultTestSplit(ckDir: string): Promise<string> {
  const runConfig = join(dirname(dirname(ckDir)), 'config.json');
  if (basename(dirname(ckDir)) !== 'checkpoints' || !existsSync(runConfig)) return 'test';
  try {
    const cfg = JSON.parse(await readFile(runConfig, 'utf8')) as { trainSplit?: string };
    return cfg.trainSplit === OMNIGLOT_SCHEMES.lake.train ? OMNIGLOT_SCHEMES.lake.test : 'test';
  } catch {
    return 'test';
  }
}

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('evaluate a checkpoint on E episodes: mean accuracy ± 95% CI, per-class accuracy, confusion')
    .requiredOption(
      '--checkpoint <dir>',
      'checkpoint directory (e.g. runs/<id>/checkpoints/best) or a run directory',
    )
    .option('--dataset <name>', "dataset (default: the checkpoint's)")
    .option('--data-dir <dir>', 'data folder (env RCN_DATA_DIR)')
    .option(
      '--split <s>',
      'split to evaluate on (default test; `evaluation` for a run trained with --omniglot-split lake)',
    )
    .option('--way <n>', 'classes per episode', '5')
    .option('--shot <k>', 'support images per class', '1')
    .option('--query <q>', 'queries per class', '15')
    .option('--episodes <n>', 'episodes', '600')
    .option('--seed <s>', 'seed of the episode stream', '0')
    .option('--workers <n>', 'worker threads', '1')
    .option(
      '--bn <mode>',
      "BatchNorm at evaluation: batch (the reference's) | running (default: the checkpoint's)",
    )
    .option('--backend <name>', 'auto | tensorflow-gpu | webgpu | tensorflow | wasm | cpu (env RCN_BACKEND)')
    .option(
      '--tasks <file>',
      "fixed episodes instead of sampled ones: a tasks JSON file (paths relative to it) or a folder of Lake's one-shot runs",
    )
    .option('--json', 'print the report as JSON')
    .action(async (f: EvalFlags) => {
      let ckDir = resolve(f.checkpoint);
      if (existsSync(join(ckDir, 'config.json')) && existsSync(join(ckDir, 'checkpoints')))
        ckDir = join(ckDir, 'checkpoints', 'best');
      ckDir = resolveCheckpointDir(ckDir);
      const opts = {
        way: int(f.way, '--way', 2),
        shot: int(f.shot, '--shot'),
        query: int(f.query, '--query'),
        episodes: int(f.episodes, '--episodes'),
        seed: int(f.seed, '--seed', 0),
      };
      const workers = int(f.workers, '--workers');
      if (f.bn && f.bn !== 'batch' && f.bn !== 'running')
        throw new UsageError(`--bn: expected batch or running, got '${f.bn}'`);
      const backendName = f.backend ? parseBackendName(f.backend, '--backend') : undefined;
      const backend = await initBackend(backendName);
      checkWorkers(backend, workers);
      if (!f.json) console.error(`backend: ${formatBackend(backend)}`);
      const { model, method, metadata } = await loadModelCheckpoint(
        ckDir,
        f.bn ? { bnInference: f.bn as 'batch' | 'running' } : {},
      );
      if (f.tasks) {
        try {
          await evalTasks(f.tasks, ckDir, model, metadata, method, f.json === true);
        } finally {
          model.dispose();
        }
        return;
      }
      const modelConfig = model.config;
      const dataset = f.dataset ?? metadata.dataset;
      const split = f.split ?? (await defaultTestSplit(ckDir));
      if (!dataset) throw new UsageError(`${ckDir}: the checkpoint names no dataset; pass --dataset`);
      const ds = await openDataset(dataset, split, {
        dataDir: f.dataDir ?? defaultDataDir(),
        imageSize: modelConfig.imageSize,
        normalization: metadata.normalisation
          ? {
              mean: metadata.normalisation.mean as [number, number, number],
              std: metadata.normalisation.std as [number, number, number],
            }
          : undefined,
      });
      const pool =
        workers > 1
          ? await startReplicas({ workers, backend: backendName, model: modelConfig, method })
          : undefined;
      const bar = progressBar('eval', opts.episodes);
      try {
        const report = await evaluateModel(model, ds, {
          ...opts,
          pool,
          onProgress: (done, _total, acc) => bar?.update(done, { acc: `${(100 * acc).toFixed(2)}%` }),
        });
        bar?.stop();
        const name = `eval-${split}-${opts.way}w${opts.shot}s${opts.query}q-${opts.episodes}e-seed${opts.seed}-bn${report.bnInference}.json`;
        const out = { checkpoint: ckDir, method, ...report };
        await writeJsonAtomic(join(ckDir, name), out);
        // Inside a run directory, the run lists its evaluations too.
        const runDir = dirname(dirname(ckDir));
        if (basename(dirname(ckDir)) === 'checkpoints' && existsSync(join(runDir, 'config.json'))) {
          await writeJsonAtomic(join(runDir, 'evaluations', `${basename(ckDir)}-${name}`), out);
        }
        if (f.json) console.log(JSON.stringify(out, null, 2));
        else {
          console.log(
            `${dataset}/${split}: ${formatAccuracy(report)}, BatchNorm ${report.bnInference} statistics`,
          );
          console.log(`report: ${join(ckDir, name)}`);
        }
      } finally {
        bar?.stop();
        await pool?.close();
        model.dispose();
      }
    });
}
