/**
 * Resolving client-given names to files, only inside the configured folders. Clients never send paths:
 * datasets are registry names, checkpoints are `<runId>/<best|latest>`; every resolved path is checked
 * (after following symlinks) to lie inside its root.
 */
import { existsSync, realpathSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import {
  assertRunId,
  CheckpointRefError,
  formatCheckpointRef,
  isRunFolder,
  parseCheckpointRef,
  resolveCheckpointDir,
  RunDir,
  type CheckpointRef,
} from '@rcn/core';
import { ErrorCode, apiError, badInput, notFound } from '../graphql/errors.js';

/** A checkpoint a client named, found and confined. */
export interface ResolvedCheckpoint {
  ref: string;
  /** The run it belongs to; null for a zoo model. */
  runId: string | null;
  /** `best` / `latest` of a run, or a zoo model's name. */
  name: string;
  /** Folder holding model.json (the `.old` copy while a save is being replaced). */
  dir: string;
}

/** True when `child` is `root` or below it. */
export function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** `path` resolved through symlinks; a FORBIDDEN_PATH error when it leaves `root`. */
export function confine(root: string, path: string, what: string): string {
  const realRoot = existsSync(root) ? realpathSync(root) : resolve(root);
  const real = existsSync(path) ? realpathSync(path) : resolve(path);
  if (!isInside(realRoot, real))
    throw apiError(ErrorCode.FORBIDDEN_PATH, `${what} resolves outside the configured folder`);
  return real;
}

export function checkRunId(runId: string, field = 'runId'): string {
  try {
    assertRunId(runId);
  } catch (e) {
    throw apiError(ErrorCode.FORBIDDEN_PATH, `${field}: ${(e as Error).message}`, { field });
  }
  return runId;
}

export function runDirOf(runsDir: string, runId: string): string {
  checkRunId(runId);
  const dir = join(runsDir, runId);
  if (!isRunFolder(dir)) throw notFound(`no run '${runId}' in the runs folder`);
  return confine(runsDir, dir, `run '${runId}'`);
}

/** Core's reading of a client's reference; a path is FORBIDDEN_PATH, a checkpoint name not known BAD_USER_INPUT. */
function parseRef(ref: string): CheckpointRef {
  try {
    return parseCheckpointRef(ref);
  } catch (e) {
    if (!(e instanceof CheckpointRefError)) throw e;
    if (e.reason === 'name') throw badInput(e.message, 'checkpoint');
    throw apiError(ErrorCode.FORBIDDEN_PATH, e.message, { field: 'checkpoint' });
  }
}

/**
 * Finds the folder of `<runId>/<best|latest>` (a bare run id means its best checkpoint) or `zoo:<name>` (a
 * model of the zoo, read-only), as core parses them.
 */
export function resolveCheckpoint(
  runsDir: string,
  ref: string,
  zooDir: string | null = null,
): ResolvedCheckpoint {
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > 200)
    throw badInput('checkpoint: expected "<runId>/<best|latest>" or "zoo:<name>"', 'checkpoint');
  const parsed = parseRef(ref);
  if (parsed.kind === 'zoo') return resolveZooModel(zooDir, ref, parsed.name);
  const { runId, name } = parsed;
  const runDir = runDirOf(runsDir, checkRunId(runId, 'checkpoint'));
  let dir: string;
  try {
    // Falls back to `<name>.old` while the trainer is replacing the checkpoint.
    dir = resolveCheckpointDir(new RunDir(runDir).checkpointDir(name));
  } catch {
    throw notFound(`run '${runId}' has no '${name}' checkpoint yet`);
  }
  return {
    ref: formatCheckpointRef({ dir, runDir, name }),
    runId,
    name,
    dir: confine(runsDir, dir, `checkpoint '${ref}'`),
  };
}

function resolveZooModel(zooDir: string | null, ref: string, name: string): ResolvedCheckpoint {
  const dir = zooDir ? join(zooDir, name) : null;
  if (!dir || !existsSync(join(dir, 'model.json'))) throw notFound(`no model '${name}' in the zoo`);
  return { ref, runId: null, name, dir: confine(zooDir!, dir, `checkpoint '${ref}'`) };
}

/** The run of a checkpoint that reports are written into; zoo models have none (their card is their report). */
export function runOfCheckpoint(ck: ResolvedCheckpoint): string {
  if (ck.runId === null)
    throw badInput(
      `checkpoint '${ck.ref}': a zoo model is read-only (its card holds its evaluations); evaluate a run's checkpoint`,
      'checkpoint',
    );
  return ck.runId;
}

/**
 * An absolute path the configured roots do not cover (a dataset folder given by path to the CLI, an image in
 * it): preceded by the start, a space, a quote or a bracket, so that URLs (`http://host/x`) are left alone.
 */
const OTHER_ABSOLUTE = /(^|[\s'"`([])(\/[^\s'"`()[\],;:]*)/g;

/** The last two parts of a path (`class/image.png`), enough to find it, nothing of where it lies. */
function tail(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts.length ? `…/${parts.slice(-2).join('/')}` : path;
}

/** Text for clients: `publicPaths(roots)`'s function. */
export type PublicText = (text: string) => string;

/**
 * Text for clients with every configured root made relative: `<runs>/a/checkpoints/best` becomes
 * `a/checkpoints/best`, a bare root becomes `<runs>`; any other absolute path is cut to its last two parts
 * (`…/cat/1.png`). Responses never reveal where the server keeps files.
 */
export function publicPaths(roots: Record<string, string>): PublicText {
  const pairs: [string, string][] = [];
  for (const [name, dir] of Object.entries(roots)) {
    const forms = new Set([resolve(dir)]);
    try {
      forms.add(realpathSync(dir));
    } catch {
      // Not created yet: only its configured form can appear.
    }
    for (const f of forms) pairs.push([f, name]);
  }
  pairs.sort((a, b) => b[0].length - a[0].length);
  return (text) => {
    let out = text;
    for (const [dir, name] of pairs) out = out.split(`${dir}/`).join('').split(dir).join(`<${name}>`);
    return out.replace(OTHER_ABSOLUTE, (_m, before: string, path: string) => `${before}${tail(path)}`);
  };
}

/**
 * A run's dataset as clients see it: a registry name as it is; a folder given by its path, relative to the
 * data folder when inside it, else by its folder name (`my-images`), as run ids name it.
 */
export function publicDataset(dataset: string, text: PublicText): string {
  if (!isAbsolute(dataset)) return dataset;
  const shown = text(dataset);
  return shown.startsWith('…/') || shown.startsWith('<') ? basename(dataset) : shown;
}

/** Text about a run (its error, its job's error): its dataset folder by name, then `text`. */
export function publicRunText(message: string, config: unknown, text: PublicText): string {
  const d = (config as { dataset?: unknown } | null)?.dataset;
  const named =
    typeof d === 'string' && isAbsolute(d) ? message.split(d).join(publicDataset(d, text)) : message;
  return text(named);
}

/** A run's or job's configuration without server paths: no data folder, its dataset by name. */
export function publicConfig(config: unknown, text: PublicText): unknown {
  if (!config || typeof config !== 'object') return config;
  const { dataDir: _dataDir, ...rest } = config as Record<string, unknown>;
  if (typeof rest.dataset === 'string') rest.dataset = publicDataset(rest.dataset, text);
  return rest;
}
