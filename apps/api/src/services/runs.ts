/** Reading run directories (the trainer's files) for the API, and indexing them in the store. */
import { reportCache } from './json-cache.js';
import { basename, join } from 'node:path';
import {
  CHECKPOINT_NAMES,
  isRunFolder,
  listRuns,
  readCheckpointMetadata,
  readRunSummary,
  RunDir,
  type RunSummary,
} from '@rcn/core';
import type { Store } from '../store/types.js';
import type { Checkpoint, MetricPoint } from '../graphql/generated.js';
import type { EvaluationModel } from '../graphql/models.js';
import { checkRunId, resolveCheckpoint } from './paths.js';

/** Every run, newest first, and the store's index brought up to date with them. */
export async function syncRuns(runsDir: string, store: Store): Promise<RunSummary[]> {
  const runs = await listRuns(runsDir);
  for (const r of runs) store.indexRun(r);
  store.pruneRuns(runs.map((r) => r.id));
  return runs;
}

/** One run's summary, or null when there is no such run directory (an unreadable one is `failed`). */
export async function readRun(runsDir: string, id: string): Promise<RunSummary | null> {
  checkRunId(id, 'id');
  const dir = join(runsDir, id);
  if (!isRunFolder(dir)) return null;
  return readRunSummary(new RunDir(dir));
}

export async function runMetrics(run: RunSummary, type?: 'train' | 'val' | null): Promise<MetricPoint[]> {
  const events = await new RunDir(run.dir).metrics();
  return events
    .filter((e) => !type || e.type === type)
    .map((e) =>
      e.type === 'train'
        ? {
            type: 'train',
            episode: e.episode,
            loss: e.loss,
            accuracy: e.accuracy,
            lr: e.lr,
            ci95: null,
            episodesPerSecond: e.episodesPerSecond,
            best: null,
            time: e.time,
            elapsedSeconds: null,
          }
        : {
            type: 'val',
            episode: e.episode,
            loss: e.loss,
            accuracy: e.accuracy,
            lr: e.lr,
            ci95: e.ci95,
            episodesPerSecond: null,
            best: e.best,
            time: e.time,
            elapsedSeconds: e.elapsedSeconds ?? null,
          },
    );
}

export async function runCheckpoints(runsDir: string, run: RunSummary): Promise<Checkpoint[]> {
  const out: Checkpoint[] = [];
  for (const name of CHECKPOINT_NAMES) {
    let dir: string;
    try {
      dir = resolveCheckpoint(runsDir, `${run.id}/${name}`).dir;
    } catch {
      continue;
    }
    try {
      // Core's metadata reader (any version): listed even where it cannot be used, which using it explains.
      const meta = await readCheckpointMetadata(dir);
      out.push({
        ref: `${run.id}/${name}`,
        name,
        episodes: meta.episodes ?? null,
        createdAt: meta.createdAt ?? null,
        model: meta.model,
        metrics: meta.metrics ?? null,
      });
    } catch {
      // Being replaced right now: listed on the next read.
    }
  }
  return out;
}

export async function readEvaluation(path: string): Promise<EvaluationModel | null> {
  try {
    // Parsed once per file version (a 2,000-class report is ~8 MB of JSON).
    const report = await reportCache.read<EvaluationModel>(path);
    return { ...report, name: basename(path, '.json') };
  } catch {
    return null;
  }
}

/**
 * A run's evaluation reports, oldest name first: RunDir decides where they live and what they are called;
 * each parse comes from the report cache.
 */
export async function runEvaluations(run: RunSummary): Promise<EvaluationModel[]> {
  const out: EvaluationModel[] = [];
  for (const { path } of await new RunDir(run.dir).evaluationFiles()) {
    const r = await readEvaluation(path);
    if (r) out.push(r);
  }
  return out;
}
