/**
 * Where the real data lives for tests: env RCN_DATA_DIR, else ../shared/data beside the repository.
 * Absent data skips the suites that need it (a user's fresh clone), except under CI=true, where it fails.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository: this file's folder (src/ or dist/) lies two below the package, three below it. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));

export function sharedDataDir(): string {
  return process.env.RCN_DATA_DIR ?? join(REPO_ROOT, '..', 'shared', 'data');
}

export function requireSharedData(sub: string): { available: boolean; dir: string } {
  const dir = sharedDataDir();
  const available = existsSync(join(dir, sub));
  if (!available && process.env.CI === 'true') {
    throw new Error(`CI=true but the shared dataset '${sub}' is missing under ${dir} (set RCN_DATA_DIR)`);
  }
  if (!available) console.warn(`skipping: shared dataset '${sub}' not found under ${dir} (set RCN_DATA_DIR)`);
  return { available, dir };
}
