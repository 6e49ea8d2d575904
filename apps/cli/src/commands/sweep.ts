import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { defaultDataDir, defaultRunsDir } from '@rcn/core';
import {
  checkSweepPlan,
  EmbeddedEngine,
  openRedisEngine,
  loadSweep,
  planSweep,
  readSweepSpec,
  saveSweep,
  sweepReport,
  sweepStatus,
  sweepTable,
  type CellStatus,
  type SweepPlan,
} from '@rcn/jobs';
import { intFlag as int } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';

interface SweepFlags {
  queue?: string;
  runsDir?: string;
  dataDir?: string;
  concurrency: string;
  format: string;
  out?: string;
  json?: boolean;
}

const runsDirOf = (f: SweepFlags) => resolve(f.runsDir ?? defaultRunsDir());

function summary(status: CellStatus[]): string {
  const counts = new Map<string, number>();
  for (const c of status) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

async function report(plan: SweepPlan, f: SweepFlags): Promise<string> {
  const format = f.format === 'md' ? 'markdown' : f.format;
  if (format !== 'markdown' && format !== 'csv')
    throw new UsageError(`--format: expected md or csv, got '${f.format}'`);
  const rows = sweepTable(plan, await sweepStatus(plan, f.runsDir ? runsDirOf(f) : undefined));
  return sweepReport(plan, rows, format);
}

/** Plans the sweep, then enqueues its unfinished cells (Redis) or runs them here (embedded). */
async function runSweep(file: string, f: SweepFlags): Promise<void> {
  let plan: SweepPlan;
  const runsDir = runsDirOf(f);
  try {
    plan = planSweep(await readSweepSpec(file), {
      runsDir,
      dataDir: resolve(f.dataDir ?? defaultDataDir()),
      // The environment layer of the documented precedence (core reads no environment).
      backend: process.env.RCN_BACKEND || undefined,
    });
    // Every cell's splits and episode shapes, before any cell runs or is enqueued.
    await checkSweepPlan(plan);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  await saveSweep(runsDir, plan);
  const status = await sweepStatus(plan);
  const todo = plan.cells.filter((c) => status.find((s) => s.id === c.id)?.state !== 'done');
  console.error(`sweep ${plan.name}: ${plan.cells.length} cells (${summary(status)})`);
  const url = f.queue ?? process.env.RCN_QUEUE;
  if (url) {
    const engine = await openRedisEngine({ url });
    try {
      await engine.ready();
      let retried = 0;
      for (const c of todo) {
        // A cell whose job failed is retried; one queued, running or done is not enqueued twice.
        const job = await engine.queue.getJob(c.id);
        if (job && (await job.getState()) === 'failed') {
          await job.retry();
          retried++;
        } else await engine.submit(c.id, c.job, { priority: plan.spec.priority });
      }
      console.error(
        `enqueued ${todo.length} cells on ${url}${retried ? ` (${retried} retried)` : ''}; ` +
          `follow with: pnpm cli sweep status ${plan.name}`,
      );
    } finally {
      await engine.close();
    }
    return;
  }
  const engine = new EmbeddedEngine(int(f.concurrency, '--concurrency'));
  const failed: string[] = [];
  engine.subscribe((e) => {
    if (e.type === 'active') console.error(`cell ${e.id}: started`);
    if (e.type === 'ended') {
      console.error(`cell ${e.id}: ${e.status}${e.error ? ` (${e.error})` : ''}`);
      if (e.status !== 'finished') failed.push(e.id);
    }
  });
  const stop = () => {
    console.error('stopping: running cells save a checkpoint; run the sweep again to continue');
    void engine.close();
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, stop);
  for (const c of todo) await engine.submit(c.id, c.job);
  await engine.drain();
  process.stdout.write(await report(plan, { ...f, format: 'md' }));
  if (failed.length) {
    console.error(`${failed.length} cells did not finish: ${failed.join(', ')}`);
    process.exitCode = EXIT.error;
  }
}

export function registerSweepCommand(program: Command): void {
  program
    .command('sweep')
    .description(
      'grid x seeds: `sweep <file.yaml>` runs (or with --queue enqueues) one training + evaluation per cell; ' +
        '`sweep status <name>`, `sweep report <name>` read the results',
    )
    .argument('<file|status|report>', 'a sweep file, or status / report')
    .argument('[name]', 'sweep name (status, report)')
    .option(
      '--queue <url>',
      'redis://host:port: enqueue for `pnpm cli worker`s instead of running here (env RCN_QUEUE)',
    )
    .option('--runs-dir <dir>', 'runs folder (env RCN_RUNS_DIR)')
    .option('--data-dir <dir>', 'data folder (env RCN_DATA_DIR)')
    .option('--concurrency <n>', 'embedded engine: cells at once', '1')
    .option('--format <f>', 'report: md | csv', 'md')
    .option('--out <file>', 'report: write to this file instead of stdout')
    .option('--json', 'status: JSON')
    .action(async (what: string, name: string | undefined, f: SweepFlags) => {
      if (what !== 'status' && what !== 'report') return runSweep(what, f);
      if (!name) throw new UsageError(`sweep ${what}: name the sweep`);
      const plan = await loadSweep(runsDirOf(f), name);
      if (what === 'report') {
        const text = await report(plan, f);
        if (f.out) await writeFile(f.out, text);
        else process.stdout.write(text);
        return;
      }
      const status = await sweepStatus(plan, f.runsDir ? runsDirOf(f) : undefined);
      if (f.json) {
        console.log(JSON.stringify({ name: plan.name, cells: status }, null, 2));
        return;
      }
      for (const c of status)
        console.log(
          `${c.id}  ${c.state.padEnd(11)} ${String(c.episode).padStart(6)}/${c.episodes}` +
            (c.accuracy === null
              ? ''
              : `  ${(100 * c.accuracy).toFixed(2)} ± ${(100 * (c.ci95 ?? 0)).toFixed(2)} %`) +
            (c.error ? `  ${c.error}` : ''),
        );
      console.log(`${plan.name}: ${summary(status)}`);
    });
}
