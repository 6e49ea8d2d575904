/**
 * Runs one job where it is called (a worker thread, in both engines): training, resumed from the run's
 * latest checkpoint when one exists, then the evaluation a sweep cell asks for; or an evaluation alone.
 *
 * A job may be delivered again after the worker that had it died (the Redis engine's stalled-job
 * detection). The runner makes that safe: a run with a checkpoint continues from it (the episode stream,
 * optimiser and schedule continue exactly), a run without one starts over, and an evaluation report that
 * exists already is not computed twice. Every attempt is logged in the run's `attempts.jsonl`.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import {
  initBackend,
  parseBackendName,
  openDataset,
  evaluateModel,
  importLakeRuns,
  isLakeRuns,
  evaluateTasks,
  readTaskFile,
  writeJsonAtomic,
  resolveModelConfig,
  resolveCheckpointDir,
  openCheckpoint,
  RunDir,
  train,
  type TrainProgress,
  describeMachine,
} from '@rcn/core';
import type {
  EvalSettings,
  EvaluateJobData,
  EvaluationResult,
  JobData,
  JobOutcome,
  JobProgress,
  TasksJobData,
  TrainJobData,
} from './payload.js';

export interface RunJobOptions {
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
  /** Who runs it, for the attempts log (default host:pid). */
  worker?: string;
}

/** One line of a run's `attempts.jsonl`. */
export type AttemptEvent =
  | { event: 'start'; worker: string; time: string; fromEpisode: number; machine?: string }
  /** `finish`: trained (and evaluated); `stop`: cancelled or handed back, to be continued. */
  | { event: 'finish' | 'stop'; worker: string; time: string; status: string; episode: number }
  | { event: 'error'; worker: string; time: string; message: string };

export const ATTEMPTS_FILE = 'attempts.jsonl';

const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** Episodes done according to the run's `latest` checkpoint; null when it has none. */
export async function checkpointEpisode(runDir: string): Promise<number | null> {
  let dir: string;
  try {
    dir = resolveCheckpointDir(join(runDir, 'checkpoints', 'latest'));
  } catch {
    return null;
  }
  const state = JSON.parse(await readFile(join(dir, 'trainer-state.json'), 'utf8')) as {
    progress: { episode: number };
  };
  return state.progress.episode;
}

async function logAttempt(runDir: string, e: AttemptEvent): Promise<void> {
  await mkdir(runDir, { recursive: true });
  await appendFile(join(runDir, ATTEMPTS_FILE), JSON.stringify(e) + '\n');
}

/** An evaluation's progress callback (episodes done of total, running accuracy) as job progress, timed from now. */
function episodeProgress(
  phase: string,
  opts: RunJobOptions,
): (done: number, total: number, accuracy: number) => void {
  const t0 = Date.now();
  return (done, total, accuracy) => {
    const secs = (Date.now() - t0) / 1000;
    opts.onProgress?.({
      phase,
      done,
      total,
      loss: null,
      accuracy,
      episodesPerSecond: done / Math.max(secs, 1e-3),
      etaSeconds: ((total - done) * secs) / Math.max(done, 1),
    });
  };
}

async function evaluate(
  checkpointDir: string,
  settings: EvalSettings,
  dataDir: string | undefined,
  reportPath: string,
  checkpointRef: string,
  opts: RunJobOptions,
): Promise<EvaluationResult> {
  const ck = await openCheckpoint(checkpointDir);
  const { model, method, metadata } = ck;
  try {
    const ds = await openDataset(settings.dataset, settings.split, {
      dataDir,
      imageSize: model.config.imageSize,
      normalization: ck.normalisation,
    });
    const report = await evaluateModel(model, ds, {
      ...settings,
      signal: opts.signal,
      onProgress: episodeProgress('evaluate', opts),
    });
    await mkdir(dirname(reportPath), { recursive: true });
    await writeJsonAtomic(reportPath, {
      ...report,
      method,
      checkpoint: checkpointRef,
      checkpointEpisodes: metadata.episodes ?? null,
      createdAt: new Date().toISOString(),
    });
    return { reportPath, accuracy: report.accuracy, ci95: report.ci95 };
  } finally {
    model.dispose();
  }
}

async function existingReport(path: string): Promise<EvaluationResult | null> {
  if (!existsSync(path)) return null;
  const r = JSON.parse(await readFile(path, 'utf8')) as { accuracy: number; ci95: number };
  return { reportPath: path, accuracy: r.accuracy, ci95: r.ci95 };
}

async function runTraining(d: TrainJobData, opts: RunJobOptions): Promise<JobOutcome> {
  const dir = join(d.runsDir, d.runId);
  const worker = opts.worker ?? `${hostname()}:${process.pid}`;
  const from = existsSync(join(dir, 'config.json')) ? await checkpointEpisode(dir) : null;
  const resume = from !== null;
  // A run directory without a checkpoint holds nothing a restart would lose (its trainer died before the
  // first save): a resume, or a retry of a job whose worker died, starts it over rather than refuse.
  if (!resume && existsSync(join(dir, 'config.json'))) {
    for (const f of ['config.json', 'status.json', 'metrics.jsonl', 'checkpoints'])
      await rm(join(dir, f), { recursive: true, force: true });
  }
  await logAttempt(dir, {
    event: 'start',
    worker,
    time: new Date().toISOString(),
    fromEpisode: from ?? 0,
    // What trained each stretch of the run: zoo cards state it.
    machine: describeMachine(),
  });
  try {
    const summary = await train(resume ? null : d.config, {
      runsDir: d.runsDir,
      runId: resume ? undefined : d.runId,
      resumeDir: resume ? dir : undefined,
      episodes: resume ? (d.episodes ?? d.config.episodes) : undefined,
      dataDir: resume ? d.config.dataDir : undefined,
      // The test splits the cell's evaluations sample are checked with the rest of the plan.
      evaluations: [d.evaluate, ...(d.evaluateAlso ?? [])].flatMap((e) => (e ? [e] : [])),
      signal: opts.signal,
      logEvery: Math.max(1, Math.min(50, Math.floor(d.config.episodes / 20))),
      onProgress: (p: TrainProgress) =>
        opts.onProgress?.({
          phase: p.phase,
          done: p.episode,
          total: p.total,
          loss: num(p.loss),
          accuracy: num(p.accuracy),
          episodesPerSecond: num(p.episodesPerSecond),
          etaSeconds: num(p.etaSeconds),
        }),
    });
    // The first evaluation is the job's result; the others only need their reports written.
    const evaluations = d.evaluate ? [d.evaluate, ...(d.evaluateAlso ?? [])] : [];
    const results: EvaluationResult[] = [];
    for (const e of summary.status === 'finished' ? evaluations : []) {
      if (opts.signal?.aborted) break;
      const { checkpoint, ...settings } = e;
      const reportPath = new RunDir(dir).evaluationPath({
        checkpoint,
        ...settings,
        bnInference: resolveModelConfig(d.config.model).bnInference,
      });
      results.push(
        (await existingReport(reportPath)) ??
          (await evaluate(
            join(dir, 'checkpoints', checkpoint),
            settings,
            d.config.dataDir,
            reportPath,
            `${d.runId}/${checkpoint}`,
            opts,
          )),
      );
    }
    const evaluation = results[0] ?? null;
    const cancelled = summary.status === 'interrupted' || results.length < evaluations.length;
    await logAttempt(dir, {
      event: cancelled ? 'stop' : 'finish',
      worker,
      time: new Date().toISOString(),
      status: cancelled ? 'cancelled' : summary.status,
      episode: summary.episode,
    });
    return {
      status: cancelled ? 'cancelled' : 'finished',
      result: {
        kind: 'train',
        runId: summary.id,
        status: summary.status,
        episode: summary.episode,
        evaluation,
      },
    };
  } catch (e) {
    await logAttempt(dir, {
      event: 'error',
      worker,
      time: new Date().toISOString(),
      message: e instanceof Error ? e.message : String(e),
    });
    throw e;
  }
}

async function runEvaluation(d: EvaluateJobData, opts: RunJobOptions): Promise<JobOutcome> {
  await initBackend(parseBackendName(d.backend));
  const r = await evaluate(d.checkpointDir, d.settings, d.dataDir, d.reportPath, d.checkpointRef, opts);
  return { status: 'finished', result: { kind: 'evaluate', ...r } };
}

/** Every episode of a tasks file (or of Lake's runs), reported as `eval --tasks` reports it. */
async function runTasks(d: TasksJobData, opts: RunJobOptions): Promise<JobOutcome> {
  await initBackend(parseBackendName(d.backend));
  const lake = await isLakeRuns(d.tasksPath);
  const file = lake ? await importLakeRuns(d.tasksPath) : await readTaskFile(d.tasksPath);
  const { model, method, metadata, input } = await openCheckpoint(d.checkpointDir);
  try {
    const report = await evaluateTasks(model, input, file, d.tasksPath, {
      ...(lake && { baseDir: d.tasksPath }),
      signal: opts.signal,
      onProgress: episodeProgress('tasks', opts),
    });
    await mkdir(dirname(d.reportPath), { recursive: true });
    await writeJsonAtomic(d.reportPath, {
      checkpoint: d.checkpointRef,
      method,
      checkpointEpisodes: metadata.episodes ?? null,
      ...report,
      createdAt: new Date().toISOString(),
    });
    return {
      status: 'finished',
      result: { kind: 'tasks', reportPath: d.reportPath, accuracy: report.accuracy, ci95: report.ci95 },
    };
  } finally {
    model.dispose();
  }
}

/** Runs a job to its end; throws on failure. A job stopped by `signal` ends `cancelled`. */
export async function runJob(data: JobData, opts: RunJobOptions = {}): Promise<JobOutcome> {
  try {
    if (data.kind === 'train') return await runTraining(data, opts);
    if (data.kind === 'tasks') return await runTasks(data, opts);
    return await runEvaluation(data, opts);
  } catch (e) {
    if (opts.signal?.aborted) return { status: 'cancelled', result: null };
    throw e;
  }
}
