/** The tests run the built server: compile it once before any test file starts. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { API_ROOT } from '../scripts/server-process.js';

export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: API_ROOT, stdio: 'inherit' });
}
