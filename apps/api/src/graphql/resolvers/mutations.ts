/** Jobs: training, resuming, evaluation, cancellation. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultTestSplit,
  formatPlan,
  newRunId,
  planProblems,
  resolveModelConfig,
  RunDir,
  runSplits,
  type FieldName,
  type TrainConfig,
} from '@rcn/core';
import { resolveCheckpoint, runDirOf, checkRunId, runOfCheckpoint } from '../../services/paths.js';
import { readRun } from '../../services/runs.js';
import { withDefaults } from '../../services/validate.js';
import {
  EVALUATE_DEFAULTED,
  TRAIN_DEFAULTED,
  evalSettingsFromInput,
  trainConfigFromInput,
} from '../../services/job-config.js';
import { ErrorCode, apiError, badInput, boundedInt, limitExceeded, notFound } from '../errors.js';
import type { Context } from '../context.js';
import type { MutationResolvers, TrainConfigInput } from '../generated.js';

function checkQueue(ctx: Context): void {
  const max = ctx.services.config.limits.maxQueuedJobs;
  if (ctx.services.jobs.openCount() >= max)
    throw limitExceeded(`${max} jobs are already queued or running; wait or cancel one`, 'jobs', max);
}

/** The input's spelling of a configuration field: `model.imageSize` is the input's `imageSize`. */
const inputField: FieldName = (field, value) => {
  const f = field.replace(/^model\./, '');
  return value === undefined ? f : `${f}: ${value}`;
};

/**
 * The whole plan, as the trainer checks it before its first episode (core's `planProblems`): the training
 * and validation splits against way, shot and their queries, and one episode's memory; refused here, before
 * a job is queued, with every problem and the field to change.
 */
async function checkPlan(ctx: Context, cfg: TrainConfig): Promise<void> {
  const train = await ctx.services.datasets.split(cfg.dataset, cfg.trainSplit);
  const val = await ctx.services.datasets.split(cfg.dataset, cfg.valSplit);
  const imageSize = cfg.model.imageSize ?? train.shape.height;
  const problems = planProblems(
    runSplits(cfg, { train, val }),
    resolveModelConfig({ ...cfg.model, imageSize }),
    ctx.services.config.backend,
  );
  if (!problems.length) return;
  const first = problems[0].fix.find((p) => typeof p !== 'string');
  throw badInput(
    formatPlan(problems, inputField),
    typeof first === 'object' ? inputField(first.field) : undefined,
  );
}

/** Core's schema (types, defaults, bounds, messages) plus this server's limits: services/job-config.ts. */
function trainConfig(ctx: Context, input: TrainConfigInput): TrainConfig {
  return trainConfigFromInput(withDefaults(input, TRAIN_DEFAULTED), ctx.services.config);
}

/** Run ids that a queued or running job will write (their folders may not exist yet). */
function claimedRunIds(ctx: Context): Set<string> {
  const open = ctx.services.store.listJobs({ status: ['queued', 'running'], limit: 1000 });
  return new Set(open.flatMap((j) => (j.runId ? [j.runId] : [])));
}

/** A fresh run id: the requested one (must be free) or the trainer's default, suffixed when taken. */
function freshRunId(ctx: Context, cfg: TrainConfig, requested: string | null | undefined): string {
  const { runsDir } = ctx.services.config;
  const claimed = claimedRunIds(ctx);
  // A run that failed before its first episode may start over under its id (RunDir.isFree).
  const taken = (id: string) =>
    claimed.has(id) || (existsSync(join(runsDir, id)) && !RunDir.isFree(runsDir, id));
  if (requested) {
    checkRunId(requested);
    if (taken(requested))
      throw apiError(ErrorCode.CONFLICT, `run '${requested}' already exists or is being started`, {
        field: 'runId',
      });
    return requested;
  }
  const base = newRunId(cfg);
  let id = base;
  for (let i = 2; taken(id); i++) id = `${base}-${i}`;
  return id;
}

export const mutations: Omit<MutationResolvers, 'predict' | 'evaluateTasks'> = {
  startTraining: async (_p, { config }, ctx) => {
    const cfg = trainConfig(ctx, config);
    await checkPlan(ctx, cfg);
    checkQueue(ctx);
    const { runsDir } = ctx.services.config;
    const runId = freshRunId(ctx, cfg, config.runId);
    return ctx.services.jobs.submit(
      'train',
      { kind: 'train', runsDir, runId, config: cfg, resume: false },
      { runId, checkpoint: null, config: cfg },
    );
  },

  resumeTraining: async (_p, { runId, episodes }, ctx) => {
    const { runsDir, limits } = ctx.services.config;
    runDirOf(runsDir, runId);
    const run = await readRun(runsDir, runId);
    if (!run) throw notFound(`no run '${runId}'`);
    if (episodes != null) boundedInt(episodes, 'episodes', 1, limits.maxTrainEpisodes);
    if (claimedRunIds(ctx).has(runId))
      throw apiError(ErrorCode.CONFLICT, `run '${runId}' already has a queued or running job`);
    // Owned by a live process elsewhere (a CLI run): a second trainer would corrupt it. A dead owner reads
    // as interrupted (core checks its pid and heartbeat).
    if (run.status === 'running' && run.owner)
      throw apiError(ErrorCode.CONFLICT, `run '${runId}' is being trained by another process`);
    if (run.status === 'finished' && (episodes == null || episodes <= run.episode))
      throw apiError(
        ErrorCode.CONFLICT,
        `run '${runId}' is finished; pass a larger 'episodes' to train further`,
      );
    // Without a latest checkpoint (the run died before its first save) the trainer restarts it from scratch.
    checkQueue(ctx);
    const cfg = { ...run.config, ...(episodes != null ? { episodes } : {}) };
    return ctx.services.jobs.submit(
      'train',
      { kind: 'train', runsDir, runId, config: cfg, resume: true, episodes: episodes ?? undefined },
      { runId, checkpoint: `${runId}/latest`, config: cfg },
    );
  },

  cancelJob: (_p, { id }, ctx) => {
    const current = ctx.services.jobs.get(id);
    const elsewhere = current && ctx.services.jobs.ownedElsewhere(current);
    if (elsewhere)
      throw apiError(
        ErrorCode.CONFLICT,
        `job '${id}' runs in another API server on this database (pid ${elsewhere.pid} on ${elsewhere.host}); cancel it there`,
      );
    const job = ctx.services.jobs.cancel(id);
    if (!job) throw notFound(`no job '${id}'`);
    return job;
  },

  evaluate: async (_p, { checkpoint, config: input }, ctx) => {
    const config = withDefaults(input, EVALUATE_DEFAULTED);
    const { runsDir, limits, dataDir, backend, zooDir } = ctx.services.config;
    const ck = resolveCheckpoint(runsDir, checkpoint, zooDir);
    const runDir = runDirOf(runsDir, runOfCheckpoint(ck));
    // The split, when not given, as core's evaluation takes it: the run's test split (Lake's after Lake's).
    const settings = evalSettingsFromInput(
      { ...config, split: config.split ?? (await defaultTestSplit(runDir)) },
      limits,
    );
    const ds = await ctx.services.datasets.split(settings.dataset, settings.split);
    if (ds.classes.length < settings.way)
      throw badInput(
        `${settings.dataset}/${settings.split} has ${ds.classes.length} classes, fewer than way = ${settings.way}`,
        'way',
      );
    checkQueue(ctx);
    // Evaluated, named and placed by core's evaluateCheckpoint, as the CLI's reports are.
    return ctx.services.jobs.submit(
      'evaluate',
      { kind: 'evaluate', runsDir, dataDir, backend, checkpoint: ck.ref, settings },
      { runId: ck.runId, checkpoint: ck.ref, config: settings },
    );
  },
};
