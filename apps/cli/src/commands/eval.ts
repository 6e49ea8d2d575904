import type { Command } from 'commander';
import { basename, join, resolve } from 'node:path';
import {
  defaultDataDir,
  evaluateModel,
  formatAccuracy,
  formatBackend,
  initBackend,
  checkWorkers,
  openDataset,
  evaluateTasks,
  formatTaskReport,
  importLakeRuns,
  evaluationName,
  isLakeRuns,
  OMNIGLOT_SCHEMES,
  openCheckpoint,
  readTaskFile,
  type OpenedCheckpoint,
  RunDir,
  startReplicas,
  tasksReportName,
  writeJsonAtomic,
  EVAL_FIELDS,
  intFieldHelp,
  loadEvalConfig,
} from '@rcn/core';
import { backendOption, optionalInt as int } from '../args.js';
import { UsageError } from '../exit-codes.js';
import { progressBar } from '../progress.js';

interface EvalFlags {
  checkpoint: string;
  dataset?: string;
  dataDir?: string;
  split?: string;
  way?: string;
  shot?: string;
  query?: string;
  episodes?: string;
  seed?: string;
  workers?: string;
  bn?: string;
  backend?: string;
  tasks?: string;
  withinAlphabet?: boolean;
  json?: boolean;
}

/** Episode settings: the flags given over the schema's defaults; a bad value names its flag. */
export function evalSettings(f: Omit<EvalFlags, 'checkpoint'>) {
  const values = {
    way: int(f.way, '--way'),
    shot: int(f.shot, '--shot'),
    query: int(f.query, '--query'),
    episodes: int(f.episodes, '--episodes'),
    seed: int(f.seed, '--seed'),
    workers: int(f.workers, '--workers'),
    withinGroup: f.withinAlphabet || undefined,
  };
  try {
    const { way, shot, query, episodes, seed, workers, withinGroup } = loadEvalConfig([
      {
        kind: 'flag',
        values,
        name: (field) => (field === 'withinGroup' ? '--within-alphabet' : `--${field}`),
      },
    ]).value;
    return { way, shot, query, episodes, seed, workers, ...(withinGroup ? { withinGroup } : {}) };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** `--tasks`: every fixed episode of a file (or of Lake's runs), a report where `RunDir` places it. */
async function evalTasks(path: string, ck: OpenedCheckpoint, json: boolean): Promise<void> {
  const { model, method, dir: ckDir } = ck;
  const lake = await isLakeRuns(path);
  const file = lake ? await importLakeRuns(path) : await readTaskFile(path);
  const bar = progressBar('tasks', file.episodes.length);
  const report = await evaluateTasks(model, ck.input, file, path, {
    ...(lake && { baseDir: resolve(path) }),
    onProgress: (done, _t, acc) => bar.update(done, { acc: `${(100 * acc).toFixed(2)}%` }),
  });
  bar.stop();
  const out = { checkpoint: ckDir, method, ...report };
  // In the run's tasks/, not evaluations/: the report has per-episode results, not per-class ones.
  const reportPath = join(RunDir.reportDir(ck, 'tasks'), `${tasksReportName(ck.name, path)}.json`);
  await writeJsonAtomic(reportPath, out);
  if (json) console.log(JSON.stringify(out, null, 2));
  else {
    console.log(formatTaskReport(report));
    console.log(`report: ${reportPath}`);
  }
}

/** The test split of the run around a checkpoint: `evaluation` after Lake's split, else `test`. */
async function defaultTestSplit(runDir: string | null): Promise<string> {
  if (!runDir) return 'test';
  try {
    const cfg = await new RunDir(runDir).config();
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
    .option('--way <n>', intFieldHelp(EVAL_FIELDS.way))
    .option('--shot <k>', intFieldHelp(EVAL_FIELDS.shot))
    .option('--query <q>', intFieldHelp(EVAL_FIELDS.query))
    .option('--episodes <n>', intFieldHelp(EVAL_FIELDS.episodes))
    .option('--seed <s>', intFieldHelp(EVAL_FIELDS.seed))
    .option('--workers <n>', intFieldHelp(EVAL_FIELDS.workers))
    .option(
      '--bn <mode>',
      "BatchNorm at evaluation: batch (the reference's) | running (default: the checkpoint's)",
    )
    .option('--backend <name>', 'auto | tensorflow-gpu | webgpu | tensorflow | wasm | cpu (env RCN_BACKEND)')
    .option(
      '--tasks <file>',
      "fixed episodes instead of sampled ones: a tasks JSON file (paths relative to it) or a folder of Lake's one-shot runs",
    )
    .option(
      '--within-alphabet',
      "Lake's one-shot form: every episode's classes from one alphabet (Omniglot; one rotation each)",
    )
    .option('--json', 'print the report as JSON')
    .action(async (f: EvalFlags) => {
      const { workers, ...opts } = evalSettings(f);
      if (f.bn && f.bn !== 'batch' && f.bn !== 'running')
        throw new UsageError(`--bn: expected batch or running, got '${f.bn}'`);
      const backendName = backendOption(f.backend);
      const backend = await initBackend(backendName);
      checkWorkers(backend, workers);
      if (!f.json) console.error(`backend: ${formatBackend(backend)}`);
      const ck = await openCheckpoint(f.checkpoint, {
        override: f.bn ? { bnInference: f.bn as 'batch' | 'running' } : {},
      });
      const { model, method, dir: ckDir } = ck;
      if (f.tasks) {
        try {
          await evalTasks(f.tasks, ck, f.json === true);
        } finally {
          ck.dispose();
        }
        return;
      }
      const modelConfig = model.config;
      const dataset = f.dataset ?? ck.dataset;
      const split = f.split ?? (await defaultTestSplit(ck.runDir));
      if (!dataset) {
        ck.dispose();
        throw new UsageError(`${ckDir}: the checkpoint names no dataset; pass --dataset`);
      }
      const ds = await openDataset(dataset, split, {
        dataDir: f.dataDir ?? defaultDataDir(),
        imageSize: modelConfig.imageSize,
        normalization: ck.normalisation,
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
        const out = {
          ...report,
          method,
          checkpoint: ck.runDir ? `${basename(ck.runDir)}/${ck.name}` : ckDir,
          checkpointEpisodes: ck.metadata.episodes ?? null,
          createdAt: new Date().toISOString(),
        };
        // The same name and place as the API's evaluation jobs: the run's evaluations/ (RunDir).
        const reportPath = join(
          RunDir.reportDir(ck, 'evaluations'),
          `${evaluationName({ checkpoint: ck.name, dataset, split, ...opts, bnInference: report.bnInference })}.json`,
        );
        await writeJsonAtomic(reportPath, out);
        if (f.json) console.log(JSON.stringify(out, null, 2));
        else {
          console.log(
            `${dataset}/${split}: ${formatAccuracy(report)}, BatchNorm ${report.bnInference} statistics`,
          );
          console.log(`report: ${reportPath}`);
        }
      } finally {
        bar?.stop();
        await pool?.close();
        ck.dispose();
      }
    });
}
