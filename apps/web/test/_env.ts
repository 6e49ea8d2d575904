/**
 * What the end-to-end tests need: the real data (tiny-imagenet-32), Debian's Chromium, the built API and a
 * production build of the dashboard. Absent data or browser: skipped with the reason, but a failure under CI.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_ROOT, REPO_ROOT, sharedDataDir } from '@rcn/test-utils';

export const WEB_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export { API_ROOT, REPO_ROOT, sharedDataDir as dataDir };
export const ARTIFACTS = join(WEB_ROOT, 'test-artifacts');
export const DATASET = 'tiny-imagenet-32';
export const CHROMIUM = process.env.RCN_CHROMIUM ?? '/usr/bin/chromium';
/** Headless, no GPU, nothing fetched behind the test's back. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Why the browser tests cannot run here, or null. */
export function missing(): string | null {
  if (!existsSync(join(sharedDataDir(), DATASET)))
    return `${DATASET} not found in ${sharedDataDir()} (set RCN_DATA_DIR)`;
  if (!existsSync(CHROMIUM))
    return `no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set RCN_CHROMIUM)`;
  return null;
}
