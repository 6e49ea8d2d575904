/**
 * Checkpoint references as clients write them, parsed and written here only: `<runId>[/<best|latest>]` (a
 * run of the runs folder; a bare run id means its best checkpoint) and `zoo:<name>` (a model of the zoo).
 * `openCheckpoint`, the API's resolver, the job runner and every report's `checkpoint` field use them.
 */
import { basename } from 'node:path';
import { RUN_ID, ZOO_NAME } from '../../paths/index.js';

export const CHECKPOINT_NAMES = ['best', 'latest'] as const;
export type CheckpointName = (typeof CHECKPOINT_NAMES)[number];

/** The prefix that names a zoo model whatever the runs folder holds (`zoo:omniglot-rcn-conv4-20w1s`). */
export const ZOO_PREFIX = 'zoo:';

export type CheckpointRef =
  { kind: 'run'; runId: string; name: CheckpointName } | { kind: 'zoo'; name: string };

/**
 * Why a string is not a checkpoint reference: `path` when it reads as a path (`..`, `/x`, `a/b/c`, a
 * character no run id or zoo name has), `name` when a run's checkpoint name is not one of CHECKPOINT_NAMES.
 */
export class CheckpointRefError extends Error {
  override name = 'CheckpointRefError';
  constructor(
    readonly reason: 'path' | 'name',
    message: string,
  ) {
    super(message);
  }
}

export function isCheckpointName(name: string): name is CheckpointName {
  return (CHECKPOINT_NAMES as readonly string[]).includes(name);
}

/** `<runId>[/<best|latest>]` or `zoo:<name>`; throws CheckpointRefError otherwise. */
export function parseCheckpointRef(ref: string): CheckpointRef {
  if (ref.startsWith(ZOO_PREFIX)) {
    const name = ref.slice(ZOO_PREFIX.length);
    if (!ZOO_NAME.test(name))
      throw new CheckpointRefError('path', `checkpoint '${ref}': expected "zoo:<name>", not a path`);
    return { kind: 'zoo', name };
  }
  const parts = ref.split('/');
  if (parts.length > 2 || !RUN_ID.test(parts[0]) || parts.some((p) => p === '' || p === '.' || p === '..'))
    throw new CheckpointRefError(
      'path',
      `checkpoint '${ref}': expected "<runId>/<best|latest>" or "zoo:<name>", not a path`,
    );
  const name = parts[1] ?? 'best';
  if (!isCheckpointName(name))
    throw new CheckpointRefError(
      'name',
      `checkpoint '${ref}': the name must be one of ${CHECKPOINT_NAMES.join(', ')}`,
    );
  return { kind: 'run', runId: parts[0], name };
}

/**
 * How reports and clients name a located checkpoint: `<runId>/<name>` in a run, `zoo:<name>` for a zoo
 * model, else its folder.
 */
export function formatCheckpointRef(loc: {
  dir: string;
  runDir: string | null;
  name: string;
  zoo?: string;
}): string {
  if (loc.zoo) return `${ZOO_PREFIX}${loc.zoo}`;
  return loc.runDir ? `${basename(loc.runDir)}/${loc.name}` : loc.dir;
}
