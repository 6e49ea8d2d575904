/**
 * `pnpm bench`: runs every benchmark section, prints a table and writes `bench-results/bench.json`.
 * `pnpm bench -- compute data` runs only the named sections. Sections in `onDemand` run only when named:
 * `pnpm bench profile`, and `pnpm bench --reference torch [...]` (see reference.ts for its options).
 */
import { writeJsonAtomic } from '../io/atomic.js';
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
};

/** Not part of a plain `pnpm bench`: a diagnosis, and a comparison that needs python3 with torch. */
const onDemand = new Set(['profile', 'reference']);

async function main(): Promise<void> {
  const { positionals: wanted } = parseArgs({
    args: process.argv.slice(2),
    options: REFERENCE_ARG_OPTIONS,
    strict: false,
    allowPositionals: true,
  });
  // Bad reference options fail here, before any section has run.
  if (referencePlan(process.argv.slice(2)) && !wanted.includes('reference')) wanted.push('reference');
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
