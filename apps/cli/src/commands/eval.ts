import type { Command } from 'commander';
import {
  checkWorkers,
  defaultDataDir,
  EVAL_FIELDS,
  evaluateCheckpoint,
  EvaluationRequestError,
  formatAccuracy,
  formatBackend,
  formatTaskReport,
  initBackend,
  intFieldHelp,
  loadEvalConfig,
  type EvaluationOutcome,
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
      "Lake's one-shot form: every episode's classes are upright characters of one alphabet (Omniglot)",
    )
    .option('--json', 'print the report as JSON')
    .action(async (f: EvalFlags) => {
      const { workers, ...settings } = evalSettings(f);
      if (f.bn && f.bn !== 'batch' && f.bn !== 'running')
        throw new UsageError(`--bn: expected batch or running, got '${f.bn}'`);
      const backendName = backendOption(f.backend);
      const backend = await initBackend(backendName);
      checkWorkers(backend, workers);
      if (!f.json) console.error(`backend: ${formatBackend(backend)}`);
      const request = f.tasks
        ? { tasks: f.tasks }
        : { ...settings, ...(f.dataset && { dataset: f.dataset }), ...(f.split && { split: f.split }) };
      const bar = progressBar(f.tasks ? 'tasks' : 'eval', settings.episodes);
      let outcome: EvaluationOutcome;
      try {
        outcome = await evaluateCheckpoint(f.checkpoint, request, {
          dataDir: f.dataDir ?? defaultDataDir(),
          ...(f.bn && { bnInference: f.bn as 'batch' | 'running' }),
          workers,
          backend: backendName,
          onProgress: (done, total, acc) => {
            // A tasks file's length is known once it is read.
            bar.setTotal(total);
            bar.update(done, { acc: `${(100 * acc).toFixed(2)}%` });
          },
        });
      } catch (e) {
        if (e instanceof EvaluationRequestError && e.code === 'NO_DATASET')
          throw new UsageError(`${e.message.replace(/; pass one$/, '')}; pass --dataset`);
        throw e;
      } finally {
        bar.stop();
      }
      const { report, reportPath } = outcome;
      if (f.json) console.log(JSON.stringify(report, null, 2));
      else {
        if ('tasks' in report) console.log(formatTaskReport(report));
        else
          console.log(
            `${report.dataset}/${report.split}: ${formatAccuracy(report)}, BatchNorm ${report.bnInference} statistics`,
          );
        console.log(`report: ${reportPath}`);
      }
    });
}
