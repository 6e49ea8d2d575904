import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The checkpoint directory to read: `dir`, or its `.old` twin when a crash hit between the two renames. */
export function resolveCheckpointDir(dir: string): string {
  if (existsSync(join(dir, 'model.json'))) return dir;
  if (existsSync(join(`${dir}.old`, 'model.json'))) return `${dir}.old`;
  throw new Error(`${dir}: no checkpoint here (model.json missing)`);
}
