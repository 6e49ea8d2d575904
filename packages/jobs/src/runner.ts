/**
 * Runs one job where it is called (a worker thread, in both engines): training, resumed from the run's
 * latest checkpoint when one exists, then the evaluation a sweep cell asks for; or an evaluation alone.
 *
 * A job may be delivered again after the worker that had it died (the Redis engine's stalled-job
 * detection). The runner makes that safe: a run with a checkpoint continues from it (the episode stream,
 * optimiser and schedule continue exactly), a run without one starts over, and an evaluation report that
 * exists already is not computed twice. Every attempt is logged in the run's `attempts.jsonl`.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  describeMachine,
  evaluateCheckpoint,
  initBackend,
  parseBackendName,
  RunDir,
  train,
  type EvaluateCheckpointOptions,
  type EvaluationOutcome,
  type TrainProgress,
} from '@rcn/core';
import type {
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

const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

async function logAttempt(run: RunDir, e: AttemptEvent): Promise<void> {
  await mkdir(run.dir, { recursive: true });
  await appendFile(run.attemptsPath, JSON.stringify(e) + '\n');
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

/** The job's result for an evaluation's outcome. */
function evaluationResult(o: EvaluationOutcome): EvaluationResult {
  return { reportPath: o.reportPath, accuracy: o.report.accuracy, ci95: o.report.ci95 };
}

async function runTraining(d: TrainJobData, opts: RunJobOptions): Promise<JobOutcome> {
  const run = new RunDir(join(d.runsDir, d.runId));
  const dir = run.dir;
  const worker = opts.worker ?? `${hostname()}:${process.pid}`;
  const from = run.exists ? await run.latestEpisode() : null;
  const resume = from !== null;
  // A run directory without a checkpoint holds nothing a restart would lose (its trainer died before the
  // first save): a resume, or a retry of a job whose worker died, starts it over rather than refuse.
  if (!resume && run.exists) await run.clearUnsaved();
  await logAttempt(run, {
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
      const outcome = await evaluateCheckpoint(`${d.runId}/${checkpoint}`, settings, {
        ...evaluationOptions('evaluate', opts),
        open: { runsDir: d.runsDir, refOnly: true },
        dataDir: d.config.dataDir,
        reuse: true,
      });
      results.push(evaluationResult(outcome));
    }
    const evaluation = results[0] ?? null;
    const cancelled = summary.status === 'interrupted' || results.length < evaluations.length;
    await logAttempt(run, {
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
    await logAttempt(run, {
      event: 'error',
      worker,
      time: new Date().toISOString(),
      message: e instanceof Error ? e.message : String(e),
    });
    throw e;
  }
}

/** Where an evaluation job's checkpoint is looked up, its progress and its stop. */
function evaluationOptions(phase: string, opts: RunJobOptions): EvaluateCheckpointOptions {
  return { signal: opts.signal, onProgress: episodeProgress(phase, opts) };
}

function openOptions(d: EvaluateJobData | TasksJobData): EvaluateCheckpointOptions {
  return { open: { runsDir: d.runsDir, zooDir: d.zooDir, refOnly: true }, dataDir: d.dataDir };
}

async function runEvaluation(d: EvaluateJobData, opts: RunJobOptions): Promise<JobOutcome> {
  await initBackend(parseBackendName(d.backend));
  const outcome = await evaluateCheckpoint(d.checkpoint, d.settings, {
    ...openOptions(d),
    ...evaluationOptions('evaluate', opts),
  });
  return { status: 'finished', result: { kind: 'evaluate', ...evaluationResult(outcome) } };
}

/** Every episode of a tasks file (or of Lake's runs), reported as `eval --tasks` reports it. */
async function runTasks(d: TasksJobData, opts: RunJobOptions): Promise<JobOutcome> {
  await initBackend(parseBackendName(d.backend));
  const outcome = await evaluateCheckpoint(
    d.checkpoint,
    { tasks: d.tasksPath, name: d.tasksName },
    { ...openOptions(d), ...evaluationOptions('tasks', opts) },
  );
  return { status: 'finished', result: { kind: 'tasks', ...evaluationResult(outcome) } };
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
