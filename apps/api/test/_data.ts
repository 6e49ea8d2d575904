/** The real data the server tests need; skipped with a reason where absent, but never under CI. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'vitest';
import { sharedDataDir } from '@rcn/test-utils';

export const DATASET = 'tiny-imagenet-32';
const present = existsSync(join(sharedDataDir(), DATASET));

if (!present) {
  const reason = `${DATASET} not found in ${sharedDataDir()} (set RCN_DATA_DIR)`;
  if (process.env.CI === 'true') throw new Error(`${reason}: the API tests need it under CI`);
  console.warn(`skipping the server tests: ${reason}`);
}

/** `describe`, or `describe.skip` where the data is missing. */
export function describeWithData(name: string, fn: () => void): void {
  (present ? describe : describe.skip)(name, fn);
}
