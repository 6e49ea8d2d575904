/**
 * `openCheckpoint`: THE way to turn a checkpoint reference into a usable model. The CLI, the API (its
 * workers and its job runner) and the explanations all open checkpoints here, so the method, the input
 * normalisation, the region geometry and the dataset are read by one set of rules.
 *
 * A reference is a checkpoint folder (`.../checkpoints/best`, or its `.old` twin mid-save), a run folder
 * (then `checkpoints/<name>`, `best` unless asked), or, where no such folder exists, a reference in the
 * clients' form (`checkpoint-ref.ts`: `<runId>[/<best|latest>]` inside `runsDir`), then a model of the zoo
 * by name. `zoo:<name>` names a zoo model whatever the runs folder holds. With `refOnly` (the job runner:
 * what a client named) only the clients' form is read, never a path.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import {
  defaultRunsDir,
  defaultZooDir,
  isRunFolder,
  RUN_FILES,
  runCheckpointPath,
  ZOO_NAME,
} from '../../paths/index.js';
import { readCheckpoint, readCheckpointMetadata, resolveCheckpointDir } from './checkpoint.js';
import { CHECKPOINT_FILES, CheckpointError, type CheckpointMetadata } from './checkpoint-format.js';
import { describeMetadata, type MetadataDescription } from './checkpoint-description.js';
import {
  CHECKPOINT_NAMES,
  CheckpointRefError,
  isCheckpointName,
  parseCheckpointRef,
  ZOO_PREFIX,
  type CheckpointName,
  type CheckpointRef,
} from './checkpoint-ref.js';
import type { ModelConfig } from '../config.js';
import { checkpointModel } from './checkpoint-model.js';
import type { FewShotModel } from '../types.js';

export interface CheckpointLocation {
  /** The folder actually read (holds model.json). */
  dir: string;
  /** The run folder around it, or null for a checkpoint outside any run. */
  runDir: string | null;
  /** `best` / `latest` inside a run; the folder's name otherwise (a zoo model's name). */
  name: string;
  /** A zoo model: its name (its reports go to `<runsDir>/zoo/<name>/`, never into the zoo folder). */
  zoo?: string;
  /** Where reports about a checkpoint outside any run go, when not its own folder. */
  reportsDir?: string;
}

/** Everything about a checkpoint except its weights: cheap, no tensors (the API's main thread uses it). */
export interface CheckpointDescription extends CheckpointLocation, MetadataDescription {}

export interface OpenedCheckpoint extends CheckpointDescription {
  model: FewShotModel;
  dispose(): void;
}

export interface OpenCheckpointOptions {
  /** Where `<runId>[/<name>]` references are looked up (default `defaultRunsDir()`). */
  runsDir?: string;
  /** Which checkpoint of a run folder (default `best`). */
  name?: CheckpointName;
  /** The model zoo (default `defaultZooDir()`). */
  zooDir?: string;
  /** Model settings to change after loading (e.g. `bnInference` for an evaluation). */
  override?: Partial<ModelConfig>;
  /** Only `<runId>[/<name>]` and `zoo:<name>`, never a path (a reference a client gave). */
  refOnly?: boolean;
}

const isRunDir = (dir: string) => isRunFolder(dir) && existsSync(join(dir, RUN_FILES.checkpoints));
const hasCheckpoint = (dir: string) =>
  existsSync(join(dir, CHECKPOINT_FILES.manifest)) ||
  existsSync(join(`${dir}.old`, CHECKPOINT_FILES.manifest));

function inRun(runDir: string, name: string): CheckpointLocation {
  if (!isCheckpointName(name))
    throw new CheckpointError(
      'CHECKPOINT_NOT_FOUND',
      `${runDir}: checkpoint name '${name}' is not one of ${CHECKPOINT_NAMES.join(', ')}`,
    );
  return { dir: resolveCheckpointDir(runCheckpointPath(runDir, name)), runDir, name };
}

/** A reference in the clients' form, or null where `ref` is not one. */
function clientRef(ref: string): CheckpointRef | null {
  try {
    return parseCheckpointRef(ref);
  } catch (e) {
    if (e instanceof CheckpointRefError) return null;
    throw e;
  }
}

/** Where a reference points (see the module comment); throws CHECKPOINT_NOT_FOUND naming what was tried. */
export function locateCheckpoint(ref: string, opts: OpenCheckpointOptions = {}): CheckpointLocation {
  const runsDir = resolve(opts.runsDir ?? defaultRunsDir());
  const parsed = clientRef(ref);
  if (ref.startsWith(ZOO_PREFIX)) {
    const found = parsed?.kind === 'zoo' ? inZoo(parsed.name, runsDir, opts) : null;
    if (found) return found;
    throw new CheckpointError(
      'CHECKPOINT_NOT_FOUND',
      `${ref}: no such model in the zoo (${opts.zooDir ?? defaultZooDir() ?? 'no zoo folder'}); \`pnpm cli zoo\` lists them`,
    );
  }
  if (opts.refOnly) {
    const runDir = parsed?.kind === 'run' ? join(runsDir, parsed.runId) : null;
    if (parsed?.kind === 'run' && runDir && isRunDir(runDir)) return inRun(runDir, parsed.name);
    throw new CheckpointError(
      'CHECKPOINT_NOT_FOUND',
      `${ref}: not a run in ${runsDir} (<runId>[/best|latest]) or a zoo model (zoo:<name>)`,
    );
  }
  const path = resolve(ref);
  if (hasCheckpoint(path)) {
    const dir = resolveCheckpointDir(path);
    const plain = dir.endsWith('.old') ? dir.slice(0, -4) : dir;
    const parent = dirname(plain);
    const runDir =
      basename(parent) === RUN_FILES.checkpoints && isRunDir(dirname(parent)) ? dirname(parent) : null;
    return { dir, runDir, name: basename(plain) };
  }
  if (isRunDir(path)) return inRun(path, opts.name ?? 'best');
  if (parsed?.kind === 'run') {
    const runDir = join(runsDir, parsed.runId);
    // `<runId>` alone means `opts.name`.
    if (isRunDir(runDir)) return inRun(runDir, ref.includes('/') ? parsed.name : (opts.name ?? 'best'));
  }
  const zoo = inZoo(ref, runsDir, opts);
  if (zoo) return zoo;
  throw new CheckpointError(
    'CHECKPOINT_NOT_FOUND',
    `${ref}: not a checkpoint folder, a run folder, a run in ${runsDir} (<runId>[/best|latest]) or a zoo model`,
  );
}

/** A zoo model by name (`zoo/<name>/` is a checkpoint folder), or null. */
function inZoo(name: string, runsDir: string, opts: OpenCheckpointOptions): CheckpointLocation | null {
  const zooDir = opts.zooDir ?? defaultZooDir();
  if (!zooDir || !ZOO_NAME.test(name)) return null;
  const dir = join(zooDir, name);
  if (!existsSync(join(dir, CHECKPOINT_FILES.manifest))) return null;
  return { dir, runDir: null, name, zoo: name, reportsDir: join(runsDir, 'zoo', name) };
}

function describe(loc: CheckpointLocation, metadata: CheckpointMetadata): CheckpointDescription {
  return { ...loc, ...describeMetadata(metadata, join(loc.dir, CHECKPOINT_FILES.metadata)) };
}

/** A checkpoint's description without loading its weights. */
export async function describeCheckpoint(
  ref: string,
  opts: OpenCheckpointOptions = {},
): Promise<CheckpointDescription> {
  const loc = locateCheckpoint(ref, opts);
  return describe(loc, await readCheckpointMetadata(loc.dir));
}

/** The model of the right method with the checkpoint's weights, and everything needed to feed it. */
export async function openCheckpoint(
  ref: string,
  opts: OpenCheckpointOptions = {},
): Promise<OpenedCheckpoint> {
  const loc = locateCheckpoint(ref, opts);
  const { metadata, weights } = await readCheckpoint(loc.dir);
  const description = describe(loc, metadata);
  const model = checkpointModel(metadata, weights, loc.dir, opts.override);
  return { ...description, model, dispose: () => model.dispose() };
}
