/**
 * Run directories: the source of truth for a training run, written by the trainer and read by the CLI and
 * the API.
 *
 *   <runsDir>/<id>/config.json      the resolved TrainConfig
 *   <runsDir>/<id>/status.json      RunSummary (status, progress, best validation accuracy)
 *   <runsDir>/<id>/metrics.jsonl    one MetricEvent per line, appended
 *   <runsDir>/<id>/checkpoints/latest/ and best/   model checkpoints (+ trainer state in latest/)
 *   <runsDir>/<id>/evaluations/<name>.json         evaluation reports (`evaluationName`)
 *   <runsDir>/<id>/tasks/<name>.json               fixed-task reports (`tasksReportName`)
 *
 * A checkpoint outside any run keeps its reports in its own folder, under the same names
 * (`RunDir.reportDir`). The CLI and the API place and name every report through this module.
 *
 * JSON files are replaced atomically; metrics are appended whole lines, and a reader ignores a torn last line.
 */
import { appendFile, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../io/index.js';
import { assertRunId, defaultRunsDir, isRunFolder, RUN_FILES, runCheckpointPath } from '../paths/index.js';
import { resolveCheckpointDir } from '../model/index.js';
import { readTrainerProgress } from './checkpoint-state.js';
import { defaultTrainConfig } from './config-schema.js';
import type { MetricEvent, RunOwner, RunSummary, TrainConfig } from './types.js';

/**
 * A `running` status whose heartbeat is older than this is stale even where its pid cannot be checked
 * (another host, or a pid reused): far longer than any single step or validation progress tick.
 */
export const HEARTBEAT_STALE_MS = 10 * 60_000;

/** This process, as a run's owner (the heartbeat is stamped at each write). */
export function currentOwner(): Omit<RunOwner, 'heartbeatAt'> {
  return { pid: process.pid, host: hostname() };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why a `running` status is no longer true, or null while its owner lives. */
export function deadOwnerReason(owner: RunOwner | undefined, now = Date.now()): string | null {
  if (!owner) return null;
  if (owner.host === hostname() && !pidAlive(owner.pid))
    return `its training process (pid ${owner.pid}) is gone without saving its status (killed?); resume or restart it`;
  const age = now - Date.parse(owner.heartbeatAt);
  if (!(age <= HEARTBEAT_STALE_MS))
    return `no heartbeat from its training process (pid ${owner.pid} on ${owner.host}) for ${Math.round(age / 60_000)} min; resume or restart it`;
  return null;
}

export function newRunId(
  config: Pick<TrainConfig, 'method' | 'dataset' | 'way' | 'shot'>,
  now = new Date(),
): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  // A dataset given as a folder path contributes its last name, in run-id characters.
  const dataset = (config.dataset.split(/[\\/]/).filter(Boolean).pop() ?? 'data').replace(
    /[^A-Za-z0-9._-]/g,
    '_',
  );
  return `${stamp}-${config.method}-${dataset}-${config.way}w${config.shot}s`.slice(0, 128);
}

/** Every setting that changes an evaluation's number: what its report's name is made of. */
export interface EvaluationKey {
  /** The checkpoint's name in its run (`best`, `latest`) or its folder name. */
  checkpoint: string;
  dataset: string;
  split: string;
  way: number;
  shot: number;
  query: number;
  episodes: number;
  seed: number;
  /** BatchNorm statistics at evaluation (the model's effective setting). */
  bnInference: 'batch' | 'running';
  /** Within-group episodes (Omniglot: one alphabet each). */
  withinGroup?: boolean;
}

/** A name part in file-name characters (a dataset given as a folder contributes its last name). */
const namePart = (s: string) =>
  (s.split(/[\\/]/).filter(Boolean).pop() ?? '_').replace(/[^A-Za-z0-9._-]/g, '_');

/** The report name of an evaluation, the same for the CLI and the API. */
export function evaluationName(k: EvaluationKey): string {
  return `${namePart(k.checkpoint)}-${namePart(k.dataset)}-${namePart(k.split)}-${k.way}w${k.shot}s${k.query}q-${k.episodes}e-seed${k.seed}-bn${k.bnInference}${k.withinGroup ? '-group' : ''}`;
}

/**
 * How a tasks file is named in its report's name: its path relative to the folder its caller knows it by
 * (the API: the data folder, or the folder of run `run`), or a file's own name.
 */
export interface TasksFileName {
  path: string;
  run?: string | null;
}

/** The report name of a fixed-task evaluation (`tasks/<name>.json`), the same for the CLI and the API. */
export function tasksReportName(checkpoint: string, tasks: TasksFileName): string {
  const file = tasks.path
    .replace(/\.json$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '');
  return `${namePart(checkpoint)}-tasks-${tasks.run ? `run_${tasks.run}_` : ''}${file || 'tasks'}`;
}

export class RunDir {
  constructor(readonly dir: string) {}

  get id(): string {
    return this.dir.split(/[\\/]/).pop() ?? this.dir;
  }
  get configPath(): string {
    return join(this.dir, RUN_FILES.config);
  }
  get statusPath(): string {
    return join(this.dir, RUN_FILES.status);
  }
  get metricsPath(): string {
    return join(this.dir, RUN_FILES.metrics);
  }
  get attemptsPath(): string {
    return join(this.dir, RUN_FILES.attempts);
  }
  get latestDir(): string {
    return this.checkpointDir('latest');
  }
  get bestDir(): string {
    return this.checkpointDir('best');
  }
  get evaluationsDir(): string {
    return join(this.dir, RUN_FILES.evaluations);
  }
  get tasksDir(): string {
    return join(this.dir, RUN_FILES.tasks);
  }

  /** A checkpoint's folder by name (`best`, `latest`), before any `.old` fallback. */
  checkpointDir(name: string): string {
    return runCheckpointPath(this.dir, name);
  }

  /** Episodes done according to the run's `latest` checkpoint; null when it has none. */
  async latestEpisode(): Promise<number | null> {
    try {
      resolveCheckpointDir(this.latestDir);
    } catch {
      return null;
    }
    return (await readTrainerProgress(this.latestDir)).episode;
  }

  /** Whether the folder holds a run (a configuration). */
  get exists(): boolean {
    return isRunFolder(this.dir);
  }

  /**
   * Removes what a run that never saved a checkpoint left (configuration, status, metrics), so it starts
   * over; its attempts log, if a job runner kept one, stays as history.
   */
  async clearUnsaved(): Promise<void> {
    for (const f of [RUN_FILES.config, RUN_FILES.status, RUN_FILES.metrics, RUN_FILES.checkpoints])
      await rm(join(this.dir, f), { recursive: true, force: true });
  }

  /** Where an evaluation report of one of this run's checkpoints lives. */
  evaluationPath(key: EvaluationKey): string {
    return join(this.evaluationsDir, `${evaluationName(key)}.json`);
  }

  /** Where a report named `name` about `checkpoint` lives (see `reportDir`). */
  static reportPath(
    checkpoint: { dir: string; runDir: string | null; reportsDir?: string },
    kind: 'evaluations' | 'tasks',
    name: string,
  ): string {
    return join(RunDir.reportDir(checkpoint, kind), `${name}.json`);
  }

  /**
   * The folder reports about checkpoint `checkpointDir` go to, by kind: its run's `evaluations/` or
   * `tasks/` when it lies in a run (`runDir`), `<reportsDir>/<kind>` for a zoo model (the zoo stays as
   * committed), else the checkpoint's own folder.
   */
  static reportDir(
    checkpoint: { dir: string; runDir: string | null; reportsDir?: string },
    kind: 'evaluations' | 'tasks',
  ): string {
    if (checkpoint.runDir) return join(checkpoint.runDir, RUN_FILES[kind]);
    return checkpoint.reportsDir ? join(checkpoint.reportsDir, kind) : checkpoint.dir;
  }

  /** The run's reports of a kind, by name, names sorted, unread (a caller may cache the parse). */
  async reportFiles(kind: 'evaluations' | 'tasks'): Promise<{ name: string; path: string }[]> {
    const dir = join(this.dir, RUN_FILES[kind]);
    if (!existsSync(dir)) return [];
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    return files.map((f) => ({ name: f.slice(0, -5), path: join(dir, f) }));
  }

  /** The run's evaluation reports (`reportFiles('evaluations')`). */
  evaluationFiles(): Promise<{ name: string; path: string }[]> {
    return this.reportFiles('evaluations');
  }

  async evaluations(): Promise<{ name: string; path: string; report: Record<string, unknown> }[]> {
    const out: { name: string; path: string; report: Record<string, unknown> }[] = [];
    for (const { name, path } of await this.evaluationFiles()) {
      try {
        out.push({ name, path, report: await readJson(path, `${this.id}/evaluations/${name}.json`) });
      } catch {
        // Being written or torn: listed once readable.
      }
    }
    return out;
  }

  /**
   * Whether a run named `id` may be started in `runsDir`: no run folder of that name, or one whose run
   * failed before training a single episode (nothing saved, nothing to resume: it starts over).
   */
  static isFree(runsDir: string, id: string): boolean {
    const dir = join(resolve(runsDir), id);
    return !isRunFolder(dir) || neverTrained(dir);
  }

  /** Throws when `id` is not a valid run id or a run of that name exists already (and trained). */
  static assertFree(runsDir: string, id: string): void {
    assertRunId(id);
    if (!RunDir.isFree(runsDir, id))
      throw new Error(`run '${id}' already exists; resume it or choose another run id`);
  }

  /** A new run's folder with its configuration; a run of that name that never trained is replaced. */
  static async create(runsDir: string, config: TrainConfig, id = newRunId(config)): Promise<RunDir> {
    RunDir.assertFree(runsDir, id);
    const run = new RunDir(join(resolve(runsDir), id));
    await run.clearUnsaved();
    await mkdir(run.dir, { recursive: true });
    await writeJsonAtomic(run.configPath, config);
    return run;
  }

  static async open(dir: string): Promise<RunDir> {
    const run = new RunDir(resolve(dir));
    if (!existsSync(run.configPath)) throw new Error(`${dir}: not a run directory (no config.json)`);
    return run;
  }

  async config(): Promise<TrainConfig> {
    return readJson<TrainConfig>(this.configPath, `${this.id}/config.json`);
  }

  /**
   * The status file as written, except that a `running` run whose owner is gone is reported
   * `interrupted` (with the reason): a killed trainer cannot say so itself.
   */
  async status(): Promise<RunSummary | null> {
    if (!existsSync(this.statusPath)) return null;
    // The folder is the run's identity, whatever a copied status file says.
    const s = {
      ...(await readJson<RunSummary>(this.statusPath, `${this.id}/status.json`)),
      id: this.id,
      dir: this.dir,
    };
    if (s.status !== 'running') return s;
    const dead = deadOwnerReason(s.owner);
    return dead ? { ...s, status: 'interrupted', error: dead } : s;
  }

  async writeStatus(summary: RunSummary): Promise<void> {
    await writeJsonAtomic(this.statusPath, summary);
  }

  async appendMetric(event: MetricEvent): Promise<void> {
    await appendFile(this.metricsPath, JSON.stringify(event) + '\n');
  }

  async metrics(): Promise<MetricEvent[]> {
    if (!existsSync(this.metricsPath)) return [];
    const text = await readFile(this.metricsPath, 'utf8');
    const out: MetricEvent[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as MetricEvent);
      } catch {
        // A line torn by a crash mid-append: everything before it is intact.
      }
    }
    return out;
  }

  /** Keeps only the metric events up to `episode` (used when resuming from an older checkpoint). */
  async truncateMetrics(episode: number): Promise<void> {
    const kept = (await this.metrics()).filter((e) => e.episode <= episode);
    await writeFileAtomic(this.metricsPath, kept.map((e) => JSON.stringify(e) + '\n').join(''));
  }
}

/**
 * A run folder whose run failed before its first episode: status `failed` at episode 0 and no checkpoint.
 * A running one (even one whose owner died) is not: resuming it is the way on.
 */
function neverTrained(dir: string): boolean {
  if (existsSync(join(dir, RUN_FILES.checkpoints))) return false;
  try {
    const s = JSON.parse(readFileSync(join(dir, RUN_FILES.status), 'utf8')) as Partial<RunSummary>;
    return s.status === 'failed' && s.episode === 0;
  } catch {
    return false;
  }
}

/** `name` is how errors call the file: relative to the runs folder, so messages reveal no server path. */
async function readJson<T>(path: string, name: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`${name}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${name}: invalid JSON (${(e as Error).message})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`${name}: expected a JSON object`);
  return value as T;
}

/**
 * A run folder that cannot be read (a corrupt status.json or config.json): listed as `failed` with the
 * reason, so that one bad folder never hides the others. Its config is the saved one where readable.
 */
async function unreadableRun(run: RunDir, error: string): Promise<RunSummary> {
  let config: TrainConfig;
  try {
    config = await run.config();
  } catch {
    config = { ...defaultTrainConfig({ backend: 'auto' }), dataset: 'unknown' };
  }
  let t = new Date(0).toISOString();
  try {
    t = (await stat(run.dir)).mtime.toISOString();
  } catch {
    // Gone meanwhile: the epoch sorts it last.
  }
  return { ...summaryAtStart(run, 'failed', config, t), error: `unreadable run folder: ${error}` };
}

/** A summary with no training recorded: episode 0, no validation yet. */
function summaryAtStart(
  run: RunDir,
  status: RunSummary['status'],
  config: TrainConfig,
  t: string,
): RunSummary {
  return {
    id: run.id,
    dir: run.dir,
    status,
    config,
    episode: 0,
    bestValAccuracy: null,
    bestValCi95: null,
    bestEpisode: null,
    startedAt: t,
    updatedAt: t,
  };
}

/** One run's summary: its status file, or (none yet) `interrupted` at episode 0; never throws. */
export async function readRunSummary(run: RunDir): Promise<RunSummary> {
  try {
    const status = await run.status();
    if (status) return status;
    const config = await run.config();
    const t = (await stat(run.configPath)).mtime.toISOString();
    // No status yet: the trainer has not started (or died before its first write).
    return summaryAtStart(run, 'interrupted', config, t);
  } catch (e) {
    return unreadableRun(run, e instanceof Error ? e.message : String(e));
  }
}

/** Every run under `runsDir`, newest first; directories that are not runs are skipped. */
export async function listRuns(runsDir = defaultRunsDir()): Promise<RunSummary[]> {
  if (!existsSync(runsDir)) return [];
  const out: RunSummary[] = [];
  for (const name of await readdir(runsDir)) {
    const dir = join(runsDir, name);
    try {
      if (!(await stat(dir)).isDirectory() || !isRunFolder(dir)) continue;
    } catch {
      continue;
    }
    out.push(await readRunSummary(new RunDir(dir)));
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
