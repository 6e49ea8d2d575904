/**
 * Fixed tasks files for the API: a JSON tasks file (`eval --tasks`) or a folder of Lake's one-shot runs,
 * named by a path relative to the data folder or to a run's folder. Paths are checked as everywhere in the
 * API: no absolute paths or `..`, the file (after symlinks) inside its root, and every image a task names
 * inside that root too, so a tasks file cannot read files elsewhere on the server.
 */
import { existsSync, realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import {
  importLakeRuns,
  isLakeRuns,
  parseTaskFile,
  resolveTask,
  type ResolvedTask,
  type TaskFile,
} from '@rcn/core';
import type { ApiConfig } from '../config.js';
import { ErrorCode, apiError, badInput, limitExceeded, notFound } from '../graphql/errors.js';
import { errorMessage } from '../util/errors.js';
import { reportCache } from './json-cache.js';
import { confine, isInside, runDirOf } from './paths.js';

/** A tasks file larger than this is refused before it is read. */
export const MAX_TASKS_FILE_BYTES = 32 * 1024 * 1024;

export interface TasksFileInput {
  /** Relative to the data folder, or to the run's folder when `run` is given. */
  path: string;
  run?: string | null;
}

export interface OpenedTasks {
  /** As the client named it. */
  path: string;
  run: string | null;
  format: 'json' | 'lake';
  /** On the server (never sent to clients). */
  abs: string;
  root: string;
  baseDir: string;
  file: TaskFile;
}

function checkRelative(path: string): void {
  if (typeof path !== 'string' || path.length === 0 || path.length > 500)
    throw badInput('file.path: expected a path relative to its folder', 'file.path');
  const parts = path.split('/');
  if (
    path.startsWith('/') ||
    /^[A-Za-z]:/.test(path) ||
    path.includes('\\') ||
    path.includes('\0') ||
    parts.some((p) => p === '..')
  )
    throw apiError(
      ErrorCode.FORBIDDEN_PATH,
      `file.path '${path}': expected a path inside its folder, without '..' or a leading '/'`,
      { field: 'file.path' },
    );
}

/** Where the file lies on the server, checked to stay inside its root. */
export function resolveTasksPath(
  config: Pick<ApiConfig, 'dataDir' | 'runsDir'>,
  ref: TasksFileInput,
): { abs: string; root: string } {
  checkRelative(ref.path);
  const root = ref.run ? runDirOf(config.runsDir, ref.run) : resolve(config.dataDir);
  const where = ref.run ? `run '${ref.run}'` : 'the data folder';
  const abs = join(root, ref.path);
  if (!existsSync(abs)) throw notFound(`no tasks file '${ref.path}' in ${where}`);
  return { abs: confine(root, abs, `tasks file '${ref.path}'`), root: realpathSync(root) };
}

/** Every image a task names lies inside `root` (after symlinks); images that are missing fail later. */
function checkImages(t: ResolvedTask, root: string, name: string): void {
  for (const f of [...t.support.files, ...t.query]) {
    const real = existsSync(f.path) ? realpathSync(f.path) : resolve(f.path);
    if (!isInside(root, real))
      throw apiError(
        ErrorCode.FORBIDDEN_PATH,
        `${name}, episode '${t.id}': image '${relative(root, f.path).split(sep).join('/')}' lies outside its folder`,
        { field: 'file.path' },
      );
  }
}

/** Opens and checks a tasks file (JSON files parsed once per version, see `reportCache`). */
export async function openTasks(
  config: Pick<ApiConfig, 'dataDir' | 'runsDir' | 'limits'>,
  ref: TasksFileInput,
): Promise<OpenedTasks> {
  const { abs, root } = resolveTasksPath(config, ref);
  const s = await stat(abs);
  let file: TaskFile;
  let format: OpenedTasks['format'];
  try {
    if (s.isDirectory()) {
      if (!(await isLakeRuns(abs)))
        throw badInput(
          `'${ref.path}' is a folder without Lake's one-shot runs (runNN/class_labels.txt); give a tasks JSON file or such a folder`,
          'file.path',
        );
      format = 'lake';
      file = await importLakeRuns(abs);
    } else {
      if (s.size > MAX_TASKS_FILE_BYTES)
        throw limitExceeded(
          `tasks file '${ref.path}' is ${s.size} bytes, over the limit of ${MAX_TASKS_FILE_BYTES}`,
          'file.path',
          MAX_TASKS_FILE_BYTES,
        );
      format = 'json';
      // Errors name the file as the client did, never by its server path.
      file = await reportCache.read(abs, (j) => parseTaskFile(j, ref.path));
    }
  } catch (e) {
    if ((e as { extensions?: unknown }).extensions) throw e;
    throw badInput(errorMessage(e).split(abs).join(ref.path), 'file.path');
  }
  const max = config.limits.maxEvalEpisodes;
  if (file.episodes.length > max)
    throw limitExceeded(
      `tasks file '${ref.path}' has ${file.episodes.length} episodes, over this server's limit of ${max}`,
      'file.path',
      max,
    );
  const baseDir = format === 'lake' ? abs : dirname(abs);
  return { path: ref.path, run: ref.run ?? null, format, abs, root, baseDir, file };
}

/** The index of an episode given by id or index ("3"); NOT_FOUND otherwise. */
export function episodeIndex(t: OpenedTasks, episode: string): number {
  const byId = t.file.episodes.findIndex((e, i) => (e.id ?? `episode ${i}`) === episode);
  if (byId >= 0) return byId;
  const n = /^\d+$/.test(episode) ? Number(episode) : -1;
  if (n >= 0 && n < t.file.episodes.length) return n;
  throw notFound(`tasks file '${t.path}' has no episode '${episode}' (${t.file.episodes.length} episodes)`);
}

/** One episode as model inputs, its labels and images checked. */
export function taskEpisode(t: OpenedTasks, index: number): ResolvedTask {
  let r: ResolvedTask;
  try {
    r = resolveTask(t.file, index, t.baseDir, t.path);
  } catch (e) {
    throw badInput(errorMessage(e), 'file.path');
  }
  checkImages(r, t.root, `tasks file '${t.path}'`);
  return r;
}

/** Every episode resolved and checked (before a job is queued): bad labels or paths fail the request. */
export function checkAllEpisodes(t: OpenedTasks): ResolvedTask[] {
  return t.file.episodes.map((_e, i) => taskEpisode(t, i));
}
