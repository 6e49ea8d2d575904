/**
 * `pnpm bench`: runs every benchmark section, prints a table and writes `bench-results/bench.json`.
 * `pnpm bench -- compute data` runs only the named sections. `pnpm bench --backend webgpu` runs the `steps`
 * section (training and evaluation speed) on that backend (flags: `--seconds N` per configuration,
 * `--skip 'ResNet-12,evaluation'`); the other sections are wasm's.
 */
import { writeJsonAtomic } from '../io/atomic.js';
import { formatTable, type BenchRow } from './table.js';
import { resolve } from 'node:path';
import { cpus, totalmem } from 'node:os';

type Section = () => Promise<BenchRow[]>;

const sections: Record<string, () => Promise<Section>> = {
  compute: async () => (await import('./compute.js')).run,
  model: async () => (await import('./model.js')).run,
  data: async () => (await import('./data.js')).run,
  steps: async () => (await import('./steps.js')).run,
};

/** Flags that take a value (read by the sections themselves). */
const VALUE_FLAGS = new Set(['--backend', '--seconds', '--skip']);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const wanted = args.filter((a, i) => !a.startsWith('-') && !VALUE_FLAGS.has(args[i - 1]));
  const names = wanted.length
    ? wanted
    : args.includes('--backend')
      ? ['steps']
      : ['compute', 'model', 'data'];
  for (const n of names)
    if (!sections[n])
      throw new Error(`unknown bench section '${n}' (have: ${Object.keys(sections).join(', ')})`);
  const rows: BenchRow[] = [];
  for (const n of names) {
    process.stderr.write(`bench: running section '${n}'...\n`);
    const run = await sections[n]();
    const got = await run();
    rows.push(...got);
    console.log(formatTable(got) + '\n');
  }
  const out = resolve(process.env.RCN_BENCH_OUT ?? 'bench-results/bench.json');
  await writeJsonAtomic(out, {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    rows,
  });
  console.log(`wrote ${out}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
