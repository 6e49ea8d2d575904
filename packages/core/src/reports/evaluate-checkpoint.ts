/**
 * The one evaluate-and-report path: a checkpoint evaluated on sampled episodes or on a fixed tasks file,
 * its report written where `RunDir` places it, under the name it gives. `rcn eval`, the API's evaluation
 * jobs and a sweep cell's tests (both through @rcn/jobs' runner) call `evaluateCheckpoint`, so their
 * reports agree field for field.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { BackendName } from '../backend/index.js';
import { OMNIGLOT_SCHEMES, openDataset } from '../data/index.js';
import {
  evaluateModel,
  evaluateTasks,
  importLakeRuns,
  isLakeRuns,
  readTaskFile,
  type EvalOptions,
  type EvalReport,
  type TaskEvalReport,
} from '../eval/index.js';
import { writeJsonAtomic } from '../io/index.js';
import {
  describeCheckpoint,
  formatCheckpointRef,
  openCheckpoint,
  resolveModelConfig,
  type CheckpointDescription,
  type Method,
  type OpenCheckpointOptions,
  type OpenedCheckpoint,
} from '../model/index.js';
import {
  evaluationName,
  RunDir,
  startReplicas,
  tasksReportName,
  type TasksFileName,
} from '../train/index.js';

/** Sampled episodes. The dataset is the checkpoint's and the split `defaultTestSplit`'s unless given. */
export type EpisodesRequest = Pick<
  EvalOptions,
  'way' | 'shot' | 'query' | 'episodes' | 'seed' | 'withinGroup'
> & {
  dataset?: string;
  split?: string;
};

/** Every episode of a fixed tasks file. */
export interface TasksRequest {
  /** A tasks JSON file (paths relative to it), or a folder of Lake's one-shot runs. */
  tasks: string;
  /** How the report's name names the file (default: the file's own name). */
  name?: TasksFileName;
}

export type EvaluationRequest = EpisodesRequest | TasksRequest;

export interface EvaluateCheckpointOptions {
  /** How the reference is looked up (`runsDir`, `zooDir`, `refOnly`). */
  open?: Omit<OpenCheckpointOptions, 'override' | 'name'>;
  dataDir?: string;
  /** BatchNorm statistics at evaluation (default: the checkpoint's). */
  bnInference?: 'batch' | 'running';
  /** Model replicas on worker threads, sampled episodes only (default 1: this thread). */
  workers?: number;
  /** The replicas' backend. */
  backend?: BackendName;
  /** A report that exists already is read back, not computed again (a job delivered twice). */
  reuse?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, accuracy: number) => void;
}

/** What every report says about its checkpoint. */
export interface ReportCheckpoint {
  /** `<runId>/<name>`, `zoo:<name>`, or the folder of a checkpoint outside any run. */
  checkpoint: string;
  method: Method;
  /** Training episodes behind the checkpoint, where its metadata records them. */
  checkpointEpisodes: number | null;
  createdAt: string;
}

export type EpisodesReport = EvalReport & ReportCheckpoint;
export type TasksReport = TaskEvalReport & ReportCheckpoint;

export interface EvaluationOutcome<R extends EpisodesReport | TasksReport = EpisodesReport | TasksReport> {
  reportPath: string;
  report: R;
  /** The report was there already (`reuse`). */
  reused: boolean;
}

/** A request that cannot be evaluated as given; `code` is stable for callers. */
export class EvaluationRequestError extends Error {
  override name = 'EvaluationRequestError';
  constructor(
    readonly code: 'NO_DATASET',
    message: string,
  ) {
    super(message);
  }
}

const isTasks = (r: EvaluationRequest): r is TasksRequest => 'tasks' in r;

/**
 * The test split of the run around a checkpoint: `evaluation` after Lake's training split, else `test`
 * (a checkpoint outside any run, or a run whose configuration cannot be read: `test`).
 */
export async function defaultTestSplit(runDir: string | null): Promise<string> {
  if (!runDir) return 'test';
  try {
    const cfg = await new RunDir(runDir).config();
    return cfg.trainSplit === OMNIGLOT_SCHEMES.lake.train ? OMNIGLOT_SCHEMES.lake.test : 'test';
  } catch {
    return 'test';
  }
}

function header(ck: CheckpointDescription): Omit<ReportCheckpoint, 'createdAt'> {
  return {
    checkpoint: formatCheckpointRef(ck),
    method: ck.method,
    checkpointEpisodes: ck.metadata.episodes ?? null,
  };
}

async function readReport<R>(path: string): Promise<R> {
  return JSON.parse(await readFile(path, 'utf8')) as R;
}

/** Evaluates the checkpoint `ref` names (see `openCheckpoint`) and writes the report. */
export async function evaluateCheckpoint(
  ref: string,
  request: TasksRequest,
  opts?: EvaluateCheckpointOptions,
): Promise<EvaluationOutcome<TasksReport>>;
export async function evaluateCheckpoint(
  ref: string,
  request: EpisodesRequest,
  opts?: EvaluateCheckpointOptions,
): Promise<EvaluationOutcome<EpisodesReport>>;
export async function evaluateCheckpoint(
  ref: string,
  request: EvaluationRequest,
  opts?: EvaluateCheckpointOptions,
): Promise<EvaluationOutcome>;
export async function evaluateCheckpoint(
  ref: string,
  request: EvaluationRequest,
  opts: EvaluateCheckpointOptions = {},
): Promise<EvaluationOutcome> {
  const desc = await describeCheckpoint(ref, opts.open);
  const bnInference = opts.bnInference ?? resolveModelConfig(desc.metadata.model).bnInference;
  const planned = isTasks(request)
    ? {
        kind: 'tasks' as const,
        name: tasksReportName(desc.name, request.name ?? { path: basename(request.tasks) }),
      }
    : await planEpisodes(desc, request, bnInference);
  const reportPath = RunDir.reportPath(desc, planned.kind, planned.name);
  if (opts.reuse && existsSync(reportPath))
    return { reportPath, report: await readReport(reportPath), reused: true };
  const ck = await openCheckpoint(ref, {
    ...opts.open,
    ...(opts.bnInference ? { override: { bnInference: opts.bnInference } } : {}),
  });
  try {
    const report =
      planned.kind === 'tasks'
        ? await tasksReport(ck, request as TasksRequest, opts)
        : await episodesReport(ck, planned.request, opts);
    await writeJsonAtomic(reportPath, report);
    return { reportPath, report, reused: false };
  } finally {
    ck.dispose();
  }
}

async function planEpisodes(
  desc: CheckpointDescription,
  r: EpisodesRequest,
  bnInference: 'batch' | 'running',
) {
  const dataset = r.dataset ?? desc.dataset;
  if (!dataset)
    throw new EvaluationRequestError('NO_DATASET', `${desc.dir}: the checkpoint names no dataset; pass one`);
  const request = { ...r, dataset, split: r.split ?? (await defaultTestSplit(desc.runDir)) };
  const name = evaluationName({ checkpoint: desc.name, ...request, bnInference });
  return { kind: 'evaluations' as const, name, request };
}

async function episodesReport(
  ck: OpenedCheckpoint,
  r: EpisodesRequest & { dataset: string; split: string },
  opts: EvaluateCheckpointOptions,
): Promise<EpisodesReport> {
  const { model } = ck;
  const ds = await openDataset(r.dataset, r.split, {
    dataDir: opts.dataDir,
    imageSize: model.config.imageSize,
    normalization: ck.normalization,
  });
  const workers = opts.workers ?? 1;
  const pool =
    workers > 1
      ? await startReplicas({ workers, backend: opts.backend, model: model.config, method: ck.method })
      : undefined;
  try {
    const report = await evaluateModel(model, ds, {
      way: r.way,
      shot: r.shot,
      query: r.query,
      episodes: r.episodes,
      seed: r.seed,
      ...(r.withinGroup ? { withinGroup: true } : {}),
      pool,
      signal: opts.signal,
      onProgress: opts.onProgress,
    });
    return { ...report, ...header(ck), createdAt: new Date().toISOString() };
  } finally {
    await pool?.close();
  }
}

async function tasksReport(
  ck: OpenedCheckpoint,
  r: TasksRequest,
  opts: EvaluateCheckpointOptions,
): Promise<TasksReport> {
  const lake = await isLakeRuns(r.tasks);
  const file = lake ? await importLakeRuns(r.tasks) : await readTaskFile(r.tasks);
  const report = await evaluateTasks(ck.model, ck.input, file, r.tasks, {
    ...(lake && { baseDir: resolve(r.tasks) }),
    signal: opts.signal,
    onProgress: opts.onProgress,
  });
  return { ...header(ck), ...report, createdAt: new Date().toISOString() };
}
