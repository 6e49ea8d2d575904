/**
 * Builds what the end-to-end test runs: the API (tsc) and the dashboard (`next build`) when its build is
 * missing or older than its sources, each after its GraphQL types are generated (when stale), with the
 * wasm binaries the dashboard serves. Set RCN_WEB_SKIP_BUILD=1 to use the existing builds as they are.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { apiCodegen, codegenIfStale } from '../../api/scripts/codegen-fresh';
import { API_ROOT, WEB_ROOT, missing } from './_env';

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  if (missing() || process.env.RCN_WEB_SKIP_BUILD === '1') return;
  const require = createRequire(join(API_ROOT, 'package.json'));
  const tsc = require.resolve('typescript/bin/tsc');
  const t0 = Date.now();
  apiCodegen(API_ROOT);
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: API_ROOT, stdio: 'inherit' });
  console.log(`[web e2e] API built in ${Date.now() - t0} ms`);
  codegenIfStale(WEB_ROOT, ['../api/schema.graphql', 'codegen.ts', 'src'], 'src/gql/graphql.ts', 'src/gql');
  // The wasm binaries the "on this device" mode loads from /tfjs/ (what the `build` script copies too).
  execFileSync(process.execPath, [join(WEB_ROOT, 'scripts', 'tfjs-wasm.mjs')], {
    cwd: WEB_ROOT,
    stdio: 'inherit',
  });
  const buildId = join(WEB_ROOT, '.next', 'BUILD_ID');
  const stale =
    !existsSync(buildId) ||
    newest(join(WEB_ROOT, 'src')) > statSync(buildId).mtimeMs ||
    statSync(join(WEB_ROOT, 'next.config.ts')).mtimeMs > statSync(buildId).mtimeMs;
  if (stale) {
    const t1 = Date.now();
    const nextBin = join(WEB_ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
    execFileSync(process.execPath, [nextBin, 'build'], {
      cwd: WEB_ROOT,
      stdio: 'inherit',
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    });
    console.log(`[web e2e] next build in ${Date.now() - t1} ms`);
  }
}
