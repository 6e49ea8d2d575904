/**
 * The episodic trainer: Adam, per-module gradient clipping, ReduceLROnPlateau on validation accuracy,
 * validation every V episodes on a fixed episode set, model selection on the validation split only (the
 * authors' script selects by test accuracy; we never look at test while training).
 *
 * Every random choice is a function of (seed, episode index): training episode i is the episode
 * `dataset:trainSplit:way:shot:query:seed:i`, its augmentation is seeded from the same identity, and the
 * validation set is episodes 0..valEpisodes-1 of the stream seed+1 on the validation split. Resuming at
 * episode N therefore continues exactly as an uninterrupted run would.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkWorkers, initBackend, allVariables, readableSync } from '../backend/index.js';
import { openDataset, type FewShotDataset } from '../data/index.js';
import { type EpisodeArrays, arraysToBatch, episodeStream } from '../episodes/index.js';
import { evaluateModel } from '../eval/index.js';
import {
  createModel,
  type FewShotModel,
  type CheckpointInfo,
  resolveCheckpointDir,
  resolveModelConfig,
} from '../model/index.js';
import { Adam } from './adam.js';
import { clipGradNormPerModule } from './clip.js';
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type TrainerProgress } from './checkpoint-state.js';
import { validateTrainConfig } from './config-schema.js';
import { assertPlan, runSplits, type PlannedEvaluation } from './plan.js';
import { startReplicas, type ModelReplicas } from './replicas.js';
import { defaultRunsDir } from '../paths/index.js';
import { RunDir, currentOwner, newRunId } from './run-dir.js';
import { ReduceLROnPlateau } from './schedule.js';
import type { MetricEvent, RunStatus, RunSummary, TrainConfig } from './types.js';
import { countCorrect } from './weights.js';

export interface TrainProgress {
  phase: 'train' | 'validate';
  episode: number;
  total: number;
  loss: number;
  accuracy: number;
  lr: number;
  episodesPerSecond: number;
  etaSeconds: number;
}

export interface TrainOptions {
  runsDir?: string;
  /** Name of a new run (default: timestamp, method, dataset, way and shot). */
  runId?: string;
  /** Continue the run in this directory from its latest checkpoint (its saved config is used). */
  resumeDir?: string;
  /** With `resumeDir`: train up to this many episodes in total instead of the saved config's. */
  episodes?: number;
  /**
   * With `resumeDir`: the data folder, where it differs from the saved config's (the same data mounted
   * elsewhere, e.g. a campaign resumed from a fresh clone).
   */
  dataDir?: string;
  /** Stops after the current step, saving a checkpoint; the run is marked `interrupted`. */
  signal?: AbortSignal;
  onEvent?: (e: MetricEvent) => void;
  onProgress?: (p: TrainProgress) => void;
  /** Training metrics are averaged and logged every this many episodes (default 50). */
  logEvery?: number;
  /**
   * Evaluations that follow the training (a sweep cell's test evaluation): their splits are checked with
   * the rest of the plan before the first episode.
   */
  evaluations?: readonly PlannedEvaluation[];
}

export class TrainingDivergedError extends Error {
  constructor(episode: number, loss: number) {
    super(
      `training stopped at episode ${episode}: the loss or its gradient is not finite (loss ${loss}). The last good checkpoint is kept ` +
        `in checkpoints/latest; lower the learning rate (--lr) or check the data normalisation.`,
    );
    this.name = 'TrainingDivergedError';
  }
}

/** The run was interrupted during start-up, before its first step: nothing was written. */
export class TrainingAbortedError extends Error {
  constructor() {
    super('interrupted during start-up, before the first training step (nothing was saved)');
    this.name = 'TrainingAbortedError';
  }
}

interface StepResult {
  losses: number[];
  /** False when the loss or a gradient was not finite; nothing was applied. */
  finite: boolean;
  correct: number[];
  queries: number;
}

/**
 * Clips and applies gradients; returns false (applying nothing) when a gradient is not finite. A NaN can
 * hide behind a finite loss (a ReLU maps it to 0 on the way forward), so the norms are always checked.
 */
async function applyStep(
  model: FewShotModel,
  adam: Adam,
  grads: Map<string, tf.Tensor>,
  clipNorm: number,
): Promise<boolean> {
  const norms = await clipGradNormPerModule(grads, clipNorm);
  const finite = [...norms.values()].every(Number.isFinite);
  if (finite) adam.apply(model.trainableVariables(), grads);
  tf.dispose([...grads.values()]);
  return finite;
}

async function localStep(
  model: FewShotModel,
  adam: Adam,
  batch: EpisodeArrays,
  clipNorm: number,
): Promise<StepResult> {
  const b = arraysToBatch(batch);
  const r = model.computeGradients(b, { keepOutput: true });
  const loss = (await r.loss.data())[0];
  await r.output!.probs.data(); // cached for countCorrect's synchronous read
  const correct = countCorrect(r.output!.probs, batch.queryLabels);
  tf.dispose([r.loss, ...(Object.values(r.output!) as tf.Tensor[])]);
  b.dispose();
  const result = { losses: [loss], correct: [correct], queries: batch.queryLabels.length };
  if (!Number.isFinite(loss)) {
    tf.dispose([...r.grads.values()]);
    return { ...result, finite: false };
  }
  return { ...result, finite: await applyStep(model, adam, r.grads, clipNorm) };
}

async function parallelStep(
  model: FewShotModel,
  adam: Adam,
  pool: ModelReplicas,
  batches: EpisodeArrays[],
  clipNorm: number,
): Promise<StepResult> {
  const r = await pool.gradients(model.getWeights(), batches);
  const result = { losses: r.losses, correct: r.correct, queries: batches[0].queryLabels.length };
  if (!r.losses.every(Number.isFinite)) return { ...result, finite: false };
  const grads = new Map([...r.grads].map(([k, v]) => [k, tf.tensor(v.data, v.shape, 'float32')]));
  if (!(await applyStep(model, adam, grads, clipNorm))) return { ...result, finite: false };
  model.setWeights(r.buffers, true);
  return { ...result, finite: true };
}

function hasCheckpoint(dir: string): boolean {
  try {
    resolveCheckpointDir(dir);
    return true;
  } catch {
    return false;
  }
}

/** How often a running trainer refreshes its status file's heartbeat. */
const HEARTBEAT_MS = 10_000;

/** Lets signal handlers and worker messages run: the training loop itself never waits on I/O. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Training episodes per `train` metric line: every 50 on long runs, at least ~100 points on short ones
 * (a 200-episode run logs every 2), so that any run draws a curve.
 */
export function defaultLogEvery(episodes: number): number {
  return Math.min(50, Math.max(1, Math.ceil(episodes / 100)));
}

/** Trains a run from scratch (`config`) or resumes one (`opts.resumeDir`); resolves when it stops. */
export async function train(config: TrainConfig | null, opts: TrainOptions = {}): Promise<RunSummary> {
  const throwIfAborted = () => {
    if (opts.signal?.aborted) throw new TrainingAbortedError();
  };
  // Everything that can fail on bad input happens before a new run's folder exists: a configuration that
  // fails (or a start-up that is interrupted) leaves nothing behind.
  let run: RunDir | null = null;
  let runsDir = '';
  let newId = '';
  let cfg: TrainConfig;
  if (opts.resumeDir) {
    run = await RunDir.open(opts.resumeDir);
    cfg = await run.config();
    if (opts.episodes !== undefined) cfg = { ...cfg, episodes: opts.episodes };
    if (opts.dataDir !== undefined) cfg = { ...cfg, dataDir: opts.dataDir };
    const current = await run.status();
    // Only a recorded, live owner blocks: status files written before owners were recorded cannot tell.
    if (current?.status === 'running' && current.owner)
      throw new Error(
        `run '${run.id}' is still running (pid ${current.owner.pid} on ${current.owner.host}); stop it before resuming`,
      );
  } else {
    if (!config) throw new Error('train: a config is required unless resuming');
    validateTrainConfig(config);
    cfg = config;
    runsDir = opts.runsDir ?? defaultRunsDir();
    newId = opts.runId ?? newRunId(cfg);
    RunDir.assertFree(runsDir, newId);
  }
  validateTrainConfig(cfg);
  throwIfAborted();
  const backend = await initBackend(cfg.backend);
  checkWorkers(backend, cfg.workers, 'workers');
  throwIfAborted();

  const norm = cfg.normalization;
  const trainDs = await openDataset(cfg.dataset, cfg.trainSplit, {
    dataDir: cfg.dataDir,
    imageSize: cfg.model.imageSize,
    normalization: norm,
  });
  const imageSize = trainDs.shape.height;
  const open = (split: string) =>
    openDataset(cfg.dataset, split, { dataDir: cfg.dataDir, imageSize, normalization: norm });
  const valDs = await open(cfg.valSplit);
  const evaluations = await Promise.all(
    (opts.evaluations ?? []).map(async (e) => ({ ...e, ds: await open(e.split) })),
  );
  throwIfAborted();
  const modelConfig = { ...cfg.model, imageSize, seed: cfg.model.seed ?? cfg.seed };
  // Every split the run will sample, against its episode shape and the backend's memory: a plan that
  // cannot run fails here, before a run folder exists, not at the first validation.
  assertPlan(
    runSplits(cfg, { train: trainDs, val: valDs }, evaluations),
    resolveModelConfig(modelConfig),
    backend.name,
  );
  const model = createModel(cfg.method, modelConfig);
  const adam = new Adam({ lr: cfg.lr });
  let pool: ModelReplicas | null = null;
  try {
    pool =
      cfg.workers > 1
        ? await startReplicas({
            workers: cfg.workers,
            backend: cfg.backend,
            model: modelConfig,
            method: cfg.method,
            signal: opts.signal,
          }).catch((e: unknown) => {
            throwIfAborted();
            throw e;
          })
        : null;
    throwIfAborted();
    run ??= await RunDir.create(runsDir, cfg, newId);
    return await trainLoop(run, cfg, opts, { trainDs, valDs, model, adam, pool, resume: !!opts.resumeDir });
  } finally {
    await pool?.close();
    adam.dispose();
    model.dispose();
  }
}

interface Started {
  trainDs: FewShotDataset;
  valDs: FewShotDataset;
  model: FewShotModel;
  adam: Adam;
  pool: ModelReplicas | null;
  resume: boolean;
}

async function trainLoop(
  run: RunDir,
  cfg: TrainConfig,
  opts: TrainOptions,
  { trainDs, valDs, model, adam, pool, resume }: Started,
): Promise<RunSummary> {
  const plateau = new ReduceLROnPlateau(cfg.lr, cfg.lrFactor, cfg.lrPatience);
  const previous = await run.status();
  const progress: TrainerProgress = {
    episode: 0,
    bestValAccuracy: null,
    bestValCi95: null,
    bestEpisode: null,
    sinceBest: 0,
  };

  if (resume) {
    if (hasCheckpoint(run.latestDir)) {
      const ck = await loadTrainingCheckpoint(run.latestDir);
      model.setWeights(ck.weights);
      adam.setState(ck.adam);
      plateau.state = ck.state.plateau;
      Object.assign(progress, ck.state.progress);
    }
    // Without a checkpoint (the run died before its first save) the run restarts from scratch. Metrics
    // logged after the checkpoint belong to steps that are about to be redone.
    await run.truncateMetrics(progress.episode);
  }

  const startedAt = previous?.startedAt ?? new Date().toISOString();
  // Wall-clock training time over every process of this run: the checkpoint's, plus this process's.
  const processStart = performance.now();
  const elapsedAtStart = progress.elapsedSeconds ?? 0;
  const elapsed = () => elapsedAtStart + (performance.now() - processStart) / 1000;
  const owner = currentOwner();
  const summary = (status: RunStatus, error?: string): RunSummary => ({
    id: run.id,
    dir: run.dir,
    status,
    config: cfg,
    episode: progress.episode,
    bestValAccuracy: progress.bestValAccuracy,
    bestValCi95: progress.bestValCi95,
    bestEpisode: progress.bestEpisode,
    // A stopped run's time is the one its latest checkpoint records, so a resume reports it unchanged.
    elapsedSeconds: status === 'running' ? elapsed() : (progress.elapsedSeconds ?? elapsed()),
    ...(progress.stopReason ? { stopReason: progress.stopReason } : {}),
    startedAt,
    updatedAt: new Date().toISOString(),
    ...(error ? { error } : {}),
    ...(status === 'running' ? { owner: { ...owner, heartbeatAt: new Date().toISOString() } } : {}),
  });
  // Status writes are chained: a heartbeat written late must never replace the final status.
  let statusChain: Promise<void> = Promise.resolve();
  let lastBeat = 0;
  const writeStatus = (s: RunSummary): Promise<void> => {
    lastBeat = Date.now();
    statusChain = statusChain.then(() => run.writeStatus(s));
    return statusChain;
  };
  const heartbeat = (): Promise<void> | undefined =>
    Date.now() - lastBeat >= HEARTBEAT_MS ? writeStatus(summary('running')) : undefined;
  const checkpointInfo = (): CheckpointInfo => ({
    normalization: { mean: [...trainDs.normalization.mean], std: [...trainDs.normalization.std] },
    dataset: cfg.dataset,
    episodes: progress.episode,
    metrics:
      progress.bestValAccuracy === null
        ? {}
        : { bestValAccuracy: progress.bestValAccuracy, bestValCi95: progress.bestValCi95 ?? 0 },
    extra: {
      runId: run.id,
      input: trainDs.input ?? { channels: trainDs.shape.channels, resize: 'lanczos3' },
    },
  });
  const saveLatest = async () => {
    progress.elapsedSeconds = elapsed();
    await readableSync(allVariables());
    return saveTrainingCheckpoint(run.latestDir, model, checkpointInfo(), {
      progress: { ...progress },
      plateau: { ...plateau.state },
      adam: adam.getState(),
    });
  };

  await writeStatus(summary('running'));
  const emit = async (e: MetricEvent) => {
    await run.appendMetric(e);
    opts.onEvent?.(e);
  };

  const logEvery = Math.max(1, opts.logEvery ?? defaultLogEvery(cfg.episodes));
  let window = { loss: 0, correct: 0, queries: 0, episodes: 0, t0: performance.now() };
  const runStart = performance.now();
  const startEpisode = progress.episode;

  const validate = async () => {
    const report = await evaluateModel(model, valDs, {
      way: cfg.way,
      shot: cfg.shot,
      query: cfg.valQuery,
      episodes: cfg.valEpisodes,
      seed: cfg.seed + 1,
      pool: pool ?? undefined,
      onProgress: (done, total, acc) => {
        void heartbeat()?.catch(() => {});
        opts.onProgress?.({
          phase: 'validate',
          episode: progress.episode,
          total: cfg.episodes,
          loss: NaN,
          accuracy: acc,
          lr: adam.lr,
          episodesPerSecond: NaN,
          etaSeconds: NaN,
        });
      },
    });
    const best = progress.bestValAccuracy === null || report.accuracy > progress.bestValAccuracy;
    if (best) {
      progress.bestValAccuracy = report.accuracy;
      progress.bestValCi95 = report.ci95;
      progress.bestEpisode = progress.episode;
    }
    progress.sinceBest = best ? 0 : (progress.sinceBest ?? 0) + 1;
    if (cfg.earlyStop > 0 && progress.sinceBest >= cfg.earlyStop) progress.stopReason = 'early-stop';
    adam.lr = plateau.step(report.accuracy);
    await emit({
      type: 'val',
      episode: progress.episode,
      accuracy: report.accuracy,
      ci95: report.ci95,
      loss: report.loss,
      lr: adam.lr,
      best,
      time: new Date().toISOString(),
      elapsedSeconds: elapsed(),
    });
    if (best) {
      await readableSync(allVariables());
      await saveTrainingCheckpoint(run.bestDir, model, checkpointInfo());
    }
    await saveLatest();
    await writeStatus(summary('running'));
  };

  // Training episodes come from a stream that builds them ahead (episodes/loader.ts): image decoding and
  // augmentation overlap the step (with workers the main thread is idle during it) instead of adding to it.
  // An early-stopped run trains no further, even when resumed with a larger budget.
  const remaining = progress.stopReason ? 0 : cfg.episodes - progress.episode;
  const stream = episodeStream(
    trainDs,
    {
      dataset: cfg.dataset,
      split: cfg.trainSplit,
      way: cfg.way,
      shot: cfg.shot,
      query: cfg.query,
      seed: cfg.seed,
    },
    progress.episode,
    Math.max(0, remaining),
    { augmentQueries: cfg.augment, prefetch: 2 * (pool ? pool.workers : 1) },
  );
  const nextBatches = async (w: number): Promise<EpisodeArrays[]> => {
    const out: EpisodeArrays[] = [];
    while (out.length < w) {
      const r = await stream.next();
      if (r.done) throw new Error(`training episode stream ended early at episode ${progress.episode}`);
      out.push(r.value.arrays);
    }
    return out;
  };
  try {
    while (progress.episode < cfg.episodes && !progress.stopReason) {
      // A signal or a cancel message is an event: without this the loop would only see it at the next
      // real I/O (a log line, up to 50 steps later).
      await yieldToEventLoop();
      if (opts.signal?.aborted) {
        await saveLatest();
        const s = summary('interrupted');
        await writeStatus(s);
        return s;
      }
      await heartbeat();
      const w = Math.min(pool ? pool.workers : 1, cfg.episodes - progress.episode);
      const batches = await nextBatches(w);
      const r = pool
        ? await parallelStep(model, adam, pool, batches, cfg.clipNorm)
        : await localStep(model, adam, batches[0], cfg.clipNorm);
      if (!r.finite)
        throw new TrainingDivergedError(
          progress.episode + 1,
          r.losses.reduce((a, b) => a + b, 0) / r.losses.length,
        );
      progress.episode += w;
      window.loss += r.losses.reduce((a, b) => a + b, 0);
      window.correct += r.correct.reduce((a, b) => a + b, 0);
      window.queries += r.queries * w;
      window.episodes += w;

      const elapsed = (performance.now() - runStart) / 1000;
      const rate = (progress.episode - startEpisode) / Math.max(elapsed, 1e-9);
      opts.onProgress?.({
        phase: 'train',
        episode: progress.episode,
        total: cfg.episodes,
        loss: window.loss / window.episodes,
        accuracy: window.correct / window.queries,
        lr: adam.lr,
        episodesPerSecond: rate,
        etaSeconds: (cfg.episodes - progress.episode) / rate,
      });
      const atLog = progress.episode % logEvery < w || progress.episode === cfg.episodes;
      if (atLog) {
        const secs = (performance.now() - window.t0) / 1000;
        await emit({
          type: 'train',
          episode: progress.episode,
          loss: window.loss / window.episodes,
          accuracy: window.correct / window.queries,
          lr: adam.lr,
          episodesPerSecond: window.episodes / secs,
          time: new Date().toISOString(),
        });
        window = { loss: 0, correct: 0, queries: 0, episodes: 0, t0: performance.now() };
      }
      if (progress.episode % cfg.valEvery < w || progress.episode === cfg.episodes) await validate();
    }
    const s = summary('finished');
    await writeStatus(s);
    return s;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await writeStatus(summary('failed', message));
    throw e;
  } finally {
    // Stops building ahead (episodes already in flight settle unobserved: the stream guards their errors).
    await stream.return(undefined);
  }
}
