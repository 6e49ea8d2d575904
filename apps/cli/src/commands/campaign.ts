import type { Command } from 'commander';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { defaultDataDir } from '@rcn/core';
import { campaignStatus, planCampaign, readCampaign, runCampaign, type Campaign } from '@rcn/jobs';
import { EXIT, UsageError } from '../exit-codes.js';
import { progressBar, formatEta, type Bar } from '../progress.js';

const run = promisify(execFile);

interface CampaignFlags {
  file: string;
  hours?: string;
  commit?: boolean;
  dataDir?: string;
  json?: boolean;
  markdown?: boolean;
}

const DEFAULT_FILE = 'campaign/campaign.yaml';

function hoursFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const h = Number(v);
  if (!Number.isFinite(h) || h <= 0) throw new UsageError(`--hours: expected a positive number, got '${v}'`);
  return h;
}

async function load(f: CampaignFlags): Promise<Campaign> {
  try {
    return await readCampaign(resolve(f.file));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A checkpoint being swapped in somewhere under `dir` (`latest.new` / `latest.old`): not a state to commit. */
async function swapInProgress(dir: string): Promise<boolean> {
  if (!existsSync(dir)) return false;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.some((e) => e.isDirectory() && /\.(new|old)$/.test(e.name));
}

/**
 * Commits the campaign's state (runs folder and zoo) to the repository the campaign file lives in. A live
 * campaign may be swapping a checkpoint in; the commit waits for a moment without one.
 */
async function commitState(c: Campaign, message: string): Promise<void> {
  const git = (...args: string[]) => run('git', ['-C', c.root, ...args]);
  // Before the first model is published the zoo folder does not exist yet.
  const paths = [c.runsDir, c.zooDir].filter((p) => existsSync(p));
  for (let i = 0; i < 60 && ((await swapInProgress(c.runsDir)) || (await swapInProgress(c.zooDir))); i++)
    await new Promise((r) => setTimeout(r, 500));
  await git('add', '-A', '--', ...paths);
  const staged = (await git('diff', '--cached', '--name-only', '--', ...paths)).stdout.trim();
  if (!staged) {
    console.error('commit: nothing changed');
    return;
  }
  await git('commit', '-q', '-m', message, '--', ...paths);
  console.error(`commit: ${staged.split('\n').length} files (${message})`);
}

async function printStatus(c: Campaign, f: CampaignFlags): Promise<void> {
  const plans = await planCampaign(c, { dataDir: resolve(f.dataDir ?? defaultDataDir()) });
  const status = await campaignStatus(c, plans);
  if (f.json) {
    console.log(JSON.stringify(status, null, 2));
    return;
  }
  if (f.markdown) {
    const p = (v: number | null, ci?: number | null) =>
      v === null ? '-' : `${(100 * v).toFixed(2)}${ci != null ? ` ± ${(100 * ci).toFixed(2)}` : ''}`;
    console.log('| cell | state | episodes | best validation (%) | training time | test (%) | zoo |');
    console.log('| --- | --- | --- | --- | --- | --- | --- |');
    for (const s of status)
      console.log(
        `| ${s.id} | ${s.state} | ${s.episode.toLocaleString('en-US')} | ${p(s.bestValAccuracy)}${s.bestEpisode === null ? '' : ` (ep. ${s.bestEpisode.toLocaleString('en-US')})`} | ` +
          `${s.elapsedSeconds === null ? '-' : `${(s.elapsedSeconds / 3600).toFixed(2)} h`} | ${p(s.accuracy, s.ci95)} | ${s.published ? `\`${s.zooName}\`` : '-'} |`,
      );
    return;
  }
  for (const s of status) {
    const val =
      s.bestValAccuracy === null
        ? ''
        : ` best val ${(100 * s.bestValAccuracy).toFixed(2)}% @${s.bestEpisode}`;
    const test =
      s.accuracy === null
        ? ''
        : ` test ${(100 * s.accuracy).toFixed(2)} ± ${(100 * (s.ci95 ?? 0)).toFixed(2)}%`;
    const time = s.elapsedSeconds === null ? '' : ` ${formatEta(s.elapsedSeconds)} trained`;
    console.log(
      `${s.id.padEnd(44)} ${s.state.padEnd(11)} ${String(s.episode).padStart(6)}/${s.episodes}${val}${test}${time}` +
        (s.published ? `  zoo: ${s.zooName}` : ''),
    );
  }
}

async function runAction(c: Campaign, f: CampaignFlags): Promise<void> {
  const hours = hoursFlag(f.hours);
  const ac = new AbortController();
  const onSignal = (sig: string) => {
    if (ac.signal.aborted) process.exit(EXIT.interrupted);
    console.error(`${sig}: saving the running cell's checkpoint, then stopping (again to quit at once)`);
    ac.abort();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  let bar: Bar | null = null;
  const outcome = await runCampaign(c, {
    dataDir: resolve(f.dataDir ?? defaultDataDir()),
    deadline: hours === undefined ? undefined : Date.now() + hours * 3600_000,
    signal: ac.signal,
    backend: 'wasm',
    onEvent: (e) => {
      if (e.type === 'cell-start') {
        console.error(`${e.stage}: cell ${e.cell} from episode ${e.fromEpisode} (at most ${e.episodes})`);
        bar = progressBar(e.cell, e.episodes);
      } else if (e.type === 'progress') {
        const p = e.progress;
        bar?.update(
          p.done,
          p.phase === 'validate'
            ? { validating: `${(100 * (p.accuracy ?? 0)).toFixed(1)}%` }
            : {
                loss: p.loss?.toFixed(4) ?? '-',
                acc: p.accuracy === null ? '-' : `${(100 * p.accuracy).toFixed(1)}%`,
                'ep/s': p.episodesPerSecond?.toFixed(2) ?? '-',
              },
          p.phase === 'train' ? (p.etaSeconds ?? undefined) : undefined,
        );
      } else if (e.type === 'cell-end') {
        (bar as Bar | null)?.stop();
        bar = null;
        console.error(`cell ${e.cell}: ${e.status}${e.error ? ` (${e.error})` : ''}`);
      } else if (e.type === 'published') {
        console.error(`zoo: published ${e.name} (test ${(100 * e.accuracy).toFixed(2)}%)`);
      } else if (e.type === 'deadline') {
        console.error('deadline: saving the running cell, then stopping');
      }
    },
  });
  await printStatus(c, f);
  if (f.commit) {
    const what = outcome.complete ? 'complete' : `state at ${new Date().toISOString().slice(0, 16)}Z`;
    await commitState(
      c,
      `campaign: ${what}${outcome.published.length ? `; zoo: ${outcome.published.join(', ')}` : ''}`,
    );
  }
  if (outcome.stoppedBy === 'failure') process.exitCode = EXIT.error;
  else if (outcome.stoppedBy === 'signal') process.exitCode = EXIT.interrupted;
}

export function registerCampaignCommand(program: Command): void {
  program
    .command('campaign')
    .description(
      'the reproduction campaign: `campaign run` runs or resumes every stage in order (training, test, zoo), ' +
        '`campaign status` shows each cell, `campaign commit` commits its state',
    )
    .argument('[action]', 'run | status | commit (the state to continue from, while it runs too)', 'status')
    .option('--file <campaign.yaml>', 'the campaign file', DEFAULT_FILE)
    .option('--hours <h>', 'run: stop after this many hours, every running cell saved (a working period)')
    .option('--commit', 'run: commit the runs folder and the zoo when it stops (the state to continue from)')
    .option('--data-dir <dir>', 'data folder (env RCN_DATA_DIR)')
    .option('--json', 'status: JSON')
    .option('--markdown', 'status: a Markdown table')
    .action(async (action: string, f: CampaignFlags) => {
      const c = await load(f);
      if (action === 'status') return printStatus(c, f);
      if (action === 'run') return runAction(c, f);
      if (action === 'commit')
        return commitState(c, `campaign: state at ${new Date().toISOString().slice(0, 16)}Z`);
      throw new UsageError(`campaign: expected run, status or commit, got '${action}'`);
    });
}
