/** The tests run the built server: generate its GraphQL types and compile it once before any test file starts. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { apiCodegen } from '../scripts/codegen-fresh.js';
import { API_ROOT } from '@rcn/test-utils';

export default function setup(): void {
  apiCodegen(API_ROOT);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: API_ROOT, stdio: 'inherit' });
}
