/**
 * Fixed tasks files: listing their episodes, evaluating a checkpoint on them in a job, and one task in the
 * explorer (predictions and RAMs, shaped as for sampled episodes).
 */
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { predictionAccuracy, RunDir, type Episode, type RunSummary, type TaskEvalReport } from '@rcn/core';
import { reportCache } from '../../services/json-cache.js';
import { resolveCheckpoint, runOfCheckpoint } from '../../services/paths.js';
import {
  checkAllEpisodes,
  episodeIndex,
  openTasks,
  taskEpisode,
  type OpenedTasks,
  type TasksFileInput,
} from '../../services/tasks.js';
import { checkShape } from '../../services/validate.js';
import type { JobRecord } from '../../store/types.js';
import type { TaskEpisodePayload } from '../../workers/task-episodes.js';
import type { Context } from '../context.js';
import { boundedInt, limitExceeded } from '../errors.js';
import type {
  JobResolvers,
  MutationResolvers,
  QueryResolvers,
  Resolvers,
  RunResolvers,
} from '../generated.js';
import type { TaskEvaluationModel } from '../models.js';
import { mapCoreErrors } from '../../services/inference.js';
import { predictionFields, ramFields } from './inference.js';

export async function readTaskEvaluation(path: string): Promise<TaskEvaluationModel | null> {
  try {
    const r = await reportCache.read<TaskEvalReport>(path);
    return { ...r, title: r.name ?? null, name: basename(path, '.json') };
  } catch {
    return null;
  }
}

async function runTaskEvaluations(run: RunSummary): Promise<TaskEvaluationModel[]> {
  const out: TaskEvaluationModel[] = [];
  for (const { path } of await new RunDir(run.dir).reportFiles('tasks')) {
    const r = await readTaskEvaluation(path);
    if (r && Array.isArray(r.perEpisode)) out.push(r);
  }
  return out;
}

/** The episode the explorer opens, checked against the limits of `predict` (its images are read whole). */
async function openEpisode(ctx: Context, ref: TasksFileInput, episode: string) {
  const { config } = ctx.services;
  const t = await openTasks(config, ref);
  const index = episodeIndex(t, episode);
  const task = taskEpisode(t, index);
  const images = task.support.files.length + task.query.length;
  const max = config.limits.maxUploadImages;
  if (images > max)
    throw limitExceeded(
      `episode '${task.id}' has ${images} images, over this server's limit of ${max} for one view`,
      'episode',
      max,
    );
  checkShape(config.limits, { way: task.support.classes.length, shot: task.support.shot, query: 0 });
  const payload = (checkpointDir: string): TaskEpisodePayload => ({
    checkpointDir,
    // The episode's content, so an edited file (or a Lake run's class_labels.txt) is explained afresh.
    key: `${t.abs}\u0000${index}\u0000${JSON.stringify([task.support.files, task.query])}`,
    support: task.support,
    query: task.query,
  });
  return { t, index, task, payload };
}

/** The task as core's Episode, images named relative to the tasks folder and served as rendered PNGs. */
function asEpisode(
  t: OpenedTasks,
  index: number,
  task: ReturnType<typeof taskEpisode>,
  urls: { support: string[]; query: string[] },
): Episode {
  const way = task.support.classes.length;
  const label = new Map(task.support.classes.map((c, i) => [c, i]));
  const rel = (p: string) => relative(t.baseDir, p).split('\\').join('/');
  return {
    id: `${t.run ? `run:${t.run}/` : ''}${t.path}#${task.id}`,
    spec: {
      dataset: t.path,
      split: 'tasks',
      way,
      shot: task.support.shot,
      query: Math.ceil(task.query.length / way),
      seed: 0,
      index,
    },
    classes: task.support.classes.map((c) => ({ id: c, name: c })),
    support: task.support.files.map((f, i) => ({
      imageId: rel(f.path),
      classId: f.label!,
      label: label.get(f.label!)!,
      url: urls.support[i],
    })),
    query: task.query.map((f, i) => ({
      imageId: rel(f.path),
      classId: f.label ?? '',
      label: f.label === null ? -1 : label.get(f.label)!,
      url: urls.query[i],
    })),
  };
}

export const tasksQueries: Pick<QueryResolvers, 'tasksFile' | 'taskPrediction' | 'taskRam'> = {
  tasksFile: (_p, { file }, { services }) => openTasks(services.config, file),

  taskPrediction: async (_p, { checkpoint, file, episode }, ctx) => {
    const { services } = ctx;
    const ck = resolveCheckpoint(services.config.runsDir, checkpoint, services.config.zooDir);
    const { t, index, task, payload } = await openEpisode(ctx, file, episode);
    const r = await mapCoreErrors(() => services.inference.predictTask(payload(ck.dir)));
    const put = (u8: Uint8Array) => services.pngs.put(Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength));
    const urls = {
      support: await Promise.all(r.supportPngs.map(put)),
      query: await Promise.all(r.queryPngs.map(put)),
    };
    const ep = asEpisode(t, index, task, urls);
    const accuracy = predictionAccuracy(r.prediction, ep);
    return predictionFields(
      { ...r.prediction, grid: r.geometry, accuracy },
      ck.ref,
      ep,
      (q) => urls.query[q],
    );
  },

  taskRam: async (_p, { checkpoint, file, episode, query, support, top }, ctx) => {
    const { services } = ctx;
    const ck = resolveCheckpoint(services.config.runsDir, checkpoint, services.config.zooDir);
    const { task, payload } = await openEpisode(ctx, file, episode);
    boundedInt(query, 'query', 0, task.query.length - 1);
    boundedInt(support, 'support', 0, task.support.files.length - 1);
    boundedInt(top, 'top', 0, 1000);
    const r = await mapCoreErrors(() =>
      services.inference.ramTask({ ...payload(ck.dir), pair: { query, support } }),
    );
    return ramFields(r, ck.ref, services.pngs, query, support, top);
  },
};

export const tasksMutation: Pick<MutationResolvers, 'evaluateTasks'> = {
  evaluateTasks: async (_p, { checkpoint, file }, ctx) => {
    const { runsDir, limits, dataDir, backend } = ctx.services.config;
    const ck = resolveCheckpoint(runsDir, checkpoint, ctx.services.config.zooDir);
    const t = await openTasks(ctx.services.config, file);
    for (const task of checkAllEpisodes(t))
      checkShape(limits, {
        way: task.support.classes.length,
        shot: task.support.shot,
        query: 0,
      });
    const max = limits.maxQueuedJobs;
    if (ctx.services.jobs.openCount() >= max)
      throw limitExceeded(`${max} jobs are already queued or running; wait or cancel one`, 'jobs', max);
    // Reports go into the checkpoint's run: a zoo model's card is its report.
    runOfCheckpoint(ck);
    const settings = { tasks: file.path, ...(file.run ? { tasksRun: file.run } : {}), format: t.format };
    return ctx.services.jobs.submit(
      'evaluate',
      {
        kind: 'tasks',
        runsDir,
        dataDir,
        backend,
        checkpoint: ck.ref,
        tasksPath: t.abs,
        tasksName: { path: file.path, run: file.run ?? null },
      },
      { runId: ck.runId, checkpoint: ck.ref, config: settings },
    );
  },
};

/** How a client names the tasks file of a report (its server path): under the data folder or a run's folder. */
function tasksFileRef(config: { dataDir: string; runsDir: string }, abs: string): TasksFileInput | null {
  const under = (root: string) => {
    const r = relative(resolve(root), abs);
    return r && !r.startsWith('..') && !isAbsolute(r) ? r.split(sep).join('/') : null;
  };
  const inData = under(config.dataDir);
  if (inData) return { path: inData, run: null };
  const inRuns = under(config.runsDir);
  const m = inRuns ? /^([^/]+)\/(.+)$/.exec(inRuns) : null;
  return m ? { path: m[2], run: m[1] } : null;
}

/** The report a finished tasks job wrote, or null (other jobs, or not finished). */
function jobReportPath(j: JobRecord): string | null {
  const r = j.result as { kind?: unknown; reportPath?: unknown } | null;
  return r?.kind === 'tasks' && typeof r.reportPath === 'string' ? r.reportPath : null;
}

export const tasksTypes: Pick<Resolvers, 'TasksFile' | 'TaskEvaluation'> = {
  TasksFile: {
    name: (t) => t.file.name ?? null,
    metric: (t) => t.file.metric ?? 'accuracy',
    episodeCount: (t) => t.file.episodes.length,
    episodes: (t, { offset, limit }) => {
      boundedInt(offset, 'offset', 0, 1_000_000);
      boundedInt(limit, 'limit', 0, 1000);
      return t.file.episodes.slice(offset, offset + limit).map((e, i) => {
        const classes = [...new Set(e.support.map((s) => s.label))];
        return {
          index: offset + i,
          id: e.id ?? `episode ${offset + i}`,
          way: classes.length,
          shot: Math.round(e.support.length / Math.max(1, classes.length)),
          queries: e.query.length,
          classes,
        };
      });
    },
  },
  TaskEvaluation: {
    // Reports name their checkpoint and tasks file by server paths when the CLI wrote them.
    checkpoint: (e, _a, { services }) => (e.checkpoint ? services.publicText(e.checkpoint) : null),
    tasks: (e, _a, { services }) => services.publicText(e.tasks),
    file: (e, _a, { services }) => tasksFileRef(services.config, e.tasks),
  },
};

/** Spread into `Run`'s resolvers: the run's reports on tasks files. */
export const runTasks: Pick<RunResolvers, 'taskEvaluations'> = {
  taskEvaluations: async (r, { name }) =>
    (await runTaskEvaluations(r)).filter((e) => name === undefined || name === null || e.name === name),
};

/** Spread into `Job`'s resolvers: the report a tasks job wrote. */
export const jobTasks: Pick<JobResolvers, 'taskEvaluation'> = {
  taskEvaluation: async (j) => {
    const path = jobReportPath(j);
    return path ? readTaskEvaluation(path) : null;
  },
};
