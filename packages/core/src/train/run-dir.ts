/**
 * Run directories: the source of truth for a training run, written by the trainer and read by the CLI and
 * the API.
 *
 *   <runsDir>/<id>/config.json      the resolved TrainConfig
 *   <runsDir>/<id>/status.json      RunSummary (status, progress, best validation accuracy)
 *   <runsDir>/<id>/metrics.jsonl    one MetricEvent per line, appended
 *   <runsDir>/<id>/checkpoints/latest/ and best/   model checkpoints (+ trainer state in latest/)
 *   <runsDir>/<id>/evaluations/<name>.json         evaluation reports
 *
 * JSON files are replaced atomically; metrics are appended whole lines, and a reader ignores a torn last line.
 */
import { appendFile, mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import type { MetricEvent, RunSummary, TrainConfig } from './types.js';

export function defaultRunsDir(): string {
  return resolve(process.env.RCN_RUNS_DIR ?? 'runs');
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

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertRunId(id: string): void {
  if (!RUN_ID.test(id))
    throw new Error(`invalid run id '${id}': use letters, digits, '.', '_' and '-' (max 128)`);
}

export class RunDir {
  constructor(readonly dir: string) {}

  get id(): string {
    return this.dir.split(/[\\/]/).pop() ?? this.dir;
  }
  get configPath(): string {
    return join(this.dir, 'config.json');
  }
  get statusPath(): string {
    return join(this.dir, 'status.json');
  }
  get metricsPath(): string {
    return join(this.dir, 'metrics.jsonl');
  }
  get latestDir(): string {
    return join(this.dir, 'checkpoints', 'latest');
  }
  get bestDir(): string {
    return join(this.dir, 'checkpoints', 'best');
  }
  get evaluationsDir(): string {
    return join(this.dir, 'evaluations');
  }

  static async create(runsDir: string, config: TrainConfig, id = newRunId(config)): Promise<RunDir> {
    assertRunId(id);
    const run = new RunDir(join(resolve(runsDir), id));
    if (existsSync(run.configPath))
      throw new Error(`run '${id}' already exists in ${runsDir}; use --resume to continue it`);
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
    return readJson<TrainConfig>(this.configPath);
  }

  async status(): Promise<RunSummary | null> {
    return existsSync(this.statusPath) ? readJson<RunSummary>(this.statusPath) : null;
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

async function readJson<T>(path: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

/** Every run under `runsDir`, newest first; directories that are not runs are skipped. */
export async function listRuns(runsDir = defaultRunsDir()): Promise<RunSummary[]> {
  if (!existsSync(runsDir)) return [];
  const out: RunSummary[] = [];
  for (const name of await readdir(runsDir)) {
    const dir = join(runsDir, name);
    if (!(await stat(dir)).isDirectory() || !existsSync(join(dir, 'config.json'))) continue;
    const run = new RunDir(dir);
    const status = await run.status();
    if (status) out.push(status);
    else {
      const config = await run.config();
      const t = (await stat(run.configPath)).mtime.toISOString();
      out.push({
        id: name,
        dir,
        status: 'interrupted',
        config,
        episode: 0,
        bestValAccuracy: null,
        bestValCi95: null,
        bestEpisode: null,
        startedAt: t,
        updatedAt: t,
      });
    }
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}
