/**
 * The names inside a run folder. `RunDir` (train/) is the one reader and writer of a run's files; these
 * names are here, below it, because `openCheckpoint` (model/) finds a run's checkpoints before any training
 * code loads.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const RUN_FILES = {
  config: 'config.json',
  status: 'status.json',
  metrics: 'metrics.jsonl',
  /** One line per working period of a job (the job runner's log). */
  attempts: 'attempts.jsonl',
  checkpoints: 'checkpoints',
  evaluations: 'evaluations',
  tasks: 'tasks',
} as const;

/** A run folder: it holds a configuration. */
export function isRunFolder(dir: string): boolean {
  return existsSync(join(dir, RUN_FILES.config));
}

/** A run's checkpoint folder by name (`best`, `latest`), before any `.old` fallback. */
export function runCheckpointPath(runDir: string, name: string): string {
  return join(runDir, RUN_FILES.checkpoints, name);
}
