/**
 * Runs an app's GraphQL Code Generator (its codegen.ts) when the output is missing or older than an input:
 * for the test setups, which compile the apps without turbo (turbo runs `codegen` before build and test).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

function newest(path: string, skip: string | undefined): number {
  if (!existsSync(path) || (skip && resolve(path) === resolve(skip))) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = 0;
  for (const e of readdirSync(path)) t = Math.max(t, newest(join(path, e), skip));
  return t;
}

/**
 * `inputs` and `output` are relative to `appRoot`; `skip` (relative) is a generated folder among the inputs.
 */
export function codegenIfStale(appRoot: string, inputs: string[], output: string, skip?: string): void {
  const out = join(appRoot, output);
  const outTime = existsSync(out) ? statSync(out).mtimeMs : -1;
  const skipPath = skip ? join(appRoot, skip) : undefined;
  if (outTime >= Math.max(...inputs.map((p) => newest(join(appRoot, p), skipPath)))) return;
  const cli = createRequire(join(appRoot, 'package.json')).resolve('@graphql-codegen/cli/package.json');
  execFileSync(process.execPath, [join(dirname(cli), 'esm', 'bin.js'), '--config', 'codegen.ts'], {
    cwd: appRoot,
    stdio: 'inherit',
  });
  // The generator leaves an unchanged file alone: mark it fresh.
  const now = new Date();
  utimesSync(out, now, now);
}

/** The API's resolver types (src/graphql/generated.ts). */
export function apiCodegen(apiRoot: string): void {
  codegenIfStale(apiRoot, ['schema.graphql', 'codegen.ts'], 'src/graphql/generated.ts');
}
