/**
 * `export-demo`: a folder any static host serves, where a visitor's browser runs a checkpoint (the try
 * page's "on this device" mode, built for a static host by the dashboard's `build:demo`), with example
 * episodes of its dataset under the dataset's terms. Thin: the folder is written by core's `exportDemo`.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { exportDemo, resolvePaths } from '@rcn/core';
import { intFlag } from '../args.js';
import { UsageError } from '../exit-codes.js';

interface ExportDemoFlags {
  checkpoint: string;
  out: string;
  episodes: string;
  split: string;
  way: string;
  shot: string;
  query: string;
  seed: string;
  dataTerms?: string;
  dataDir?: string;
  runsDir?: string;
  force?: boolean;
  json?: boolean;
}

/** The page, built from the dashboard's sources (apps/web: `pnpm --filter @rcn/web build:demo`). */
function demoApp(): string {
  const root = resolvePaths().root;
  const app = root && join(root, 'apps', 'web', 'demo-dist');
  if (!app || !existsSync(join(app, 'index.html')))
    throw new Error(
      `the demo page is not built${app ? ` (${app})` : ''}: run \`pnpm --filter @rcn/web build:demo\` in the repository ` +
        '(`pnpm cli` builds it first)',
    );
  return app;
}

export function registerExportDemoCommand(program: Command): void {
  program
    .command('export-demo')
    .description(
      'write a static folder (no API, no Node) where a browser runs the checkpoint: the model, example episodes of its dataset and the try page',
    )
    .requiredOption(
      '--checkpoint <ref>',
      'a run (its best checkpoint), <runId>/<best|latest>, a checkpoint folder, or a zoo model (zoo/<name>)',
    )
    .requiredOption('--out <dir>', 'the folder to write (new or empty)')
    .option('--episodes <n>', 'example episodes of the dataset (0: none)', '3')
    .option('--split <name>', 'the split the examples come from', 'test')
    .option('--way <n>', 'classes per example', '5')
    .option('--shot <n>', 'support images per class', '1')
    .option('--query <n>', 'query images per class', '1')
    .option('--seed <n>', 'seed of the examples (episode i is index i of this seed)', '0')
    .option(
      '--data-terms <text>',
      'who made the example images and under which terms (needed for a dataset whose terms are not known)',
    )
    .option('--data-dir <dir>', 'data folder (env RCN_DATA_DIR)')
    .option('--runs-dir <dir>', 'runs folder, for <runId> references (env RCN_RUNS_DIR)')
    .option('--force', 'write into a folder that is not empty')
    .option('--json', 'print the summary as JSON')
    .action(async (f: ExportDemoFlags) => {
      const paths = resolvePaths({ flags: { dataDir: f.dataDir, runsDir: f.runsDir } });
      const s = await exportDemo({
        checkpoint: f.checkpoint,
        out: resolve(f.out),
        app: demoApp(),
        dataDir: paths.dataDir.path,
        runsDir: paths.runsDir.path,
        episodes: intFlag(f.episodes, '--episodes', 0),
        split: f.split,
        way: intFlag(f.way, '--way', 2),
        shot: intFlag(f.shot, '--shot', 1),
        query: intFlag(f.query, '--query', 1),
        seed: intFlag(f.seed, '--seed', 0),
        dataTerms: f.dataTerms,
        force: f.force,
      }).catch((e: unknown) => {
        const msg = e instanceof Error ? e.message : String(e);
        throw /not empty|terms of dataset/.test(msg) ? new UsageError(msg) : e;
      });
      if (f.json) return console.log(JSON.stringify(s));
      console.log(
        `${s.out}: a static demo of a ${s.method} checkpoint, ${s.episodes} example episode(s)` +
          `${s.dataset ? ` of ${s.dataset}` : ''}; ${s.files} files, ${(s.bytes / 2 ** 20).toFixed(2)} MiB`,
      );
      if (s.credit)
        console.log(`examples shown under: ${s.credit}${s.commercial ? '' : ' (not for commercial use)'}`);
      console.log(
        `serve it with any static server, e.g. \`cd ${f.out} && python3 -m http.server\`, and open it over http`,
      );
    });
}
