/**
 * Model benchmarks (issue 3), on wasm: in a training step (forward + backward), the time of the RCN head
 * (region grid, comparison, region-weight network, scoring, loss) against the backbone's, for Conv4 and
 * ResNet-12 (full width) at 84x84, 5-way 5-shot, 15 queries per class; target: head <= 10% of a step. And
 * the peak memory of one ResNet-12 (full width) 84x84 5-way 1-shot 15-query step, which must fit the 4 GiB
 * wasm heap. `RCN_BENCH_MODEL_REPS` sets the timed steps per configuration (default 3 Conv4, 1 ResNet-12).
 */
import { WorkerPool } from '@rcn/core';
import type { SplitJob } from './model-tasks.js';
import type { BenchRow } from './table.js';

/** The task module beside this file, compiled or (under tsx) TypeScript. */
function taskModuleUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./model-tasks${ext}`, import.meta.url);
}

/** Runs one measurement in a fresh single-worker wasm pool; a configuration that aborts becomes an error row. */
async function inWorker(name: string, task: string, payload: unknown): Promise<BenchRow[]> {
  const pool = new WorkerPool({ size: 1, backend: 'wasm', taskModule: taskModuleUrl() });
  try {
    const got = await pool.run<BenchRow | BenchRow[]>(task, payload);
    const rows = Array.isArray(got) ? got : [got];
    for (const row of rows)
      process.stderr.write(
        `bench model: ${row.name}: ${row.value.toFixed(3)} ${row.unit} ${JSON.stringify(row.extra ?? {})}\n`,
      );
    return rows;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`bench model: ${name} failed: ${msg}\n`);
    return [
      {
        section: 'model',
        name: `${name} (failed)`,
        value: Number.NaN,
        unit: '',
        extra: { error: msg.slice(0, 200) },
      },
    ];
  } finally {
    await pool.close();
  }
}

export async function run(): Promise<BenchRow[]> {
  const reps = process.env.RCN_BENCH_MODEL_REPS ? Number(process.env.RCN_BENCH_MODEL_REPS) : null;
  const split = (label: string, cfg: SplitJob['cfg'], r: number): Promise<BenchRow[]> =>
    inWorker(`${label} split`, 'bench.model.split', {
      label,
      cfg,
      way: 5,
      shot: 5,
      queries: 15,
      reps: reps ?? r,
    } satisfies SplitJob);
  return [
    ...(await inWorker('ResNet-12 memory', 'bench.model.memory', null)),
    ...(await split('Conv4 84px', { backbone: 'conv4', imageSize: 84 }, 3)),
    ...(await split('ResNet-12 84px', { backbone: 'resnet12', imageSize: 84 }, 1)),
  ];
}
