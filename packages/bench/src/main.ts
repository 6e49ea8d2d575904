/**
 * `pnpm bench`: runs every benchmark section, prints a table and writes `bench-results/bench.json`.
 * `pnpm bench -- compute data` runs only the named sections. Sections in `onDemand` run only when named:
 * `pnpm bench profile`, `pnpm bench --reference torch [...]` (see reference.ts for its options), and
 * `pnpm bench --backend webgpu`, the `steps` section (training and evaluation speed) on that backend
 * (flags: `--seconds N` per configuration, `--skip 'ResNet-12,evaluation'`); the other sections are wasm's.
 */
import { writeJsonAtomic } from '@rcn/core';
import { formatTable, type BenchRow } from './table.js';
import { resolve } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { REFERENCE_ARG_OPTIONS, referencePlan } from './reference-args.js';

type Section = () => Promise<BenchRow[]>;

const sections: Record<string, () => Promise<Section>> = {
  compute: async () => (await import('./compute.js')).run,
  model: async () => (await import('./model.js')).run,
  data: async () => (await import('./data.js')).run,
  profile: async () => (await import('./profile.js')).run,
  reference: async () => (await import('./reference.js')).run,
  steps: async () => (await import('./steps.js')).run,
};

/** Not part of a plain `pnpm bench`: a diagnosis, a comparison that needs python3 with torch, another backend. */
const onDemand = new Set(['profile', 'reference', 'steps']);

/** The steps section's flags (it reads them itself); declared so that their values are not sections. */
const STEPS_ARG_OPTIONS = {
  backend: { type: 'string' },
  seconds: { type: 'string' },
  skip: { type: 'string' },
} as const;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const { positionals: wanted, values } = parseArgs({
    args,
    options: { ...REFERENCE_ARG_OPTIONS, ...STEPS_ARG_OPTIONS },
    strict: false,
    allowPositionals: true,
  });
  // Bad reference options fail here, before any section has run.
  if (referencePlan(args) && !wanted.includes('reference')) wanted.push('reference');
  if (values.backend !== undefined && !wanted.length) wanted.push('steps');
  const names = wanted.length ? wanted : Object.keys(sections).filter((n) => !onDemand.has(n));
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
