#!/usr/bin/env node
// Builds the given turbo filter before `pnpm cli` / `pnpm bench` (or runs another task given second, e.g.
// codegen), printing turbo's output only on failure, so that the command's own output (and `--json` on
// stdout) stays clean.
import { spawnSync } from 'node:child_process';

const [filter, task = 'build'] = process.argv.slice(2);
const r = spawnSync(
  'pnpm',
  ['exec', 'turbo', 'run', task, `--filter=${filter}`, '--output-logs=errors-only'],
  {
    encoding: 'utf8',
  },
);
if (r.status !== 0) {
  process.stderr.write(r.stdout ?? '');
  process.stderr.write(r.stderr ?? '');
  process.exit(r.status ?? 1);
}
