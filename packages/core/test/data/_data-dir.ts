/** Where the real data lives for tests; absent data skips (with the reason) except under CI=true. */
import { existsSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const DATA_DIR = process.env.RCN_DATA_DIR
  ? resolve(process.env.RCN_DATA_DIR)
  : resolve(repo, '..', 'shared', 'data');
export const HAVE_DATA = [
  'omniglot/images_background.npz',
  'tiny-imagenet-32/train.csv',
  'splits/cifar-fs/train.json',
].every((p) => existsSync(join(DATA_DIR, p)));
export const NO_DATA_REASON = `real data not found at ${DATA_DIR} (set RCN_DATA_DIR to the shared data folder)`;

if (!HAVE_DATA) {
  if (process.env.CI === 'true') throw new Error(`${NO_DATA_REASON}; under CI=true it must be present`);
  console.warn(`skipping real-data tests: ${NO_DATA_REASON}`);
}

/** A fresh temp folder for fixtures, removed by the returned function. */
export function tempDir(prefix = 'rcn-data-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
