/**
 * The SIMD kernels ship as a generated module (src/backend/kernels/simd-module.ts, base64 wasm) beside their
 * C sources (wasm/*.c): this checks that the committed module is exactly what the sources build to, so a
 * change to one without the other cannot land. Needs clang 16 and wasm-ld 16 (CI installs them); a
 * machine without them skips, except under CI=true, where their absence is a failure.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const pkg = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const haveClang =
  spawnSync('sh', ['-c', 'command -v clang-16 && command -v wasm-ld-16'], { encoding: 'utf8' }).status === 0;
if (!haveClang && process.env.CI === 'true')
  throw new Error('CI=true but clang-16 / wasm-ld-16 are missing (apt-get install clang-16 lld-16)');
if (!haveClang) console.warn('skipping the simd-module check: clang-16 and wasm-ld-16 not installed');

const check = (wasmDir: string) =>
  spawnSync('sh', [join(wasmDir, 'build.sh'), '--check'], { encoding: 'utf8' });

describe.skipIf(!haveClang)('embedded SIMD module', () => {
  const tmps: string[] = [];
  afterAll(async () => {
    for (const t of tmps) await rm(t, { recursive: true, force: true });
  });

  it('is byte for byte what wasm/*.c build to', () => {
    const r = check(join(pkg, 'wasm'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/simd-module\.ts is what wasm\/\*\.c build to/);
  });

  it('fails, saying what to run, when a source changes without the module', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rcn-simd-'));
    tmps.push(root);
    await cp(join(pkg, 'wasm'), join(root, 'wasm'), { recursive: true });
    await mkdir(join(root, 'src', 'backend', 'kernels'), { recursive: true });
    await cp(
      join(pkg, 'src', 'backend', 'kernels', 'simd-module.ts'),
      join(root, 'src', 'backend', 'kernels', 'simd-module.ts'),
    );
    // One more exported function: the sources now build to another module.
    const gemm = join(root, 'wasm', 'gemm.c');
    await writeFile(
      gemm,
      (await readFile(gemm, 'utf8')) +
        '\n__attribute__((export_name("rcn_test_drift"))) int rcn_test_drift(int x) { return x + 1; }\n',
    );
    const r = check(join(root, 'wasm'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /simd-module\.ts differs from what wasm\/\*\.c build to: run packages\/core\/wasm\/build\.sh/,
    );
  });
});
