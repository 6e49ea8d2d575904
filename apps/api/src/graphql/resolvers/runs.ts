/** Runs (run directories) and jobs. */
import {
  readEvaluation,
  readRun,
  runCheckpoints,
  runEvaluations,
  runMetrics,
  syncRuns,
} from '../../services/runs.js';
import { topConfusions, type ConfusedPair } from '@rcn/core';
import { boundedInt } from '../errors.js';
import { publicConfig, publicDataset, publicRunText } from '../../services/paths.js';
import type { QueryResolvers, Resolvers } from '../generated.js';

const pairsMemo = new WeakMap<readonly (readonly number[])[], Map<number, ConfusedPair[]>>();

export const runQueries: Pick<QueryResolvers, 'runs' | 'run' | 'job' | 'jobs'> = {
  runs: async (_p, { limit }, { services }) => {
    boundedInt(limit, 'limit', 0, 1000);
    return (await syncRuns(services.config.runsDir, services.store)).slice(0, limit);
  },
  run: (_p, { id }, { services }) => readRun(services.config.runsDir, id),
  job: (_p, { id }, { services }) => services.jobs.get(id),
  jobs: (_p, { status, limit }, { services }) => {
    boundedInt(limit, 'limit', 0, 1000);
    return services.store.listJobs({ status: status ?? undefined, limit });
  },
};

export const runTypes: Pick<Resolvers, 'Run' | 'Job' | 'Evaluation'> = {
  Run: {
    config: (r, _a, { services }) => publicConfig(r.config, services.publicText),
    method: (r) => r.config.method,
    dataset: (r, _a, { services }) => publicDataset(r.config.dataset, services.publicText),
    totalEpisodes: (r) => r.config.episodes,
    metrics: (r, { type }) => runMetrics(r, type),
    checkpoints: (r, _a, { services }) => runCheckpoints(services.config.runsDir, r),
    evaluations: async (r, { name }) =>
      (await runEvaluations(r)).filter((e) => name === undefined || name === null || e.name === name),
    error: (r, _a, { services }) => (r.error ? publicRunText(r.error, r.config, services.publicText) : null),
  },
  Evaluation: {
    // Reports written by the CLI name their checkpoint by its absolute path.
    checkpoint: (e, _a, { services }) => (e.checkpoint ? services.publicText(e.checkpoint) : null),
    // A report of a folder dataset given by path (`pnpm cli eval --dataset ./my-images`) names it absolute.
    dataset: (e, _a, { services }) => publicDataset(e.dataset, services.publicText),
    // Large matrices only on request (see the schema): the run page asks with maxClasses.
    confusion: (e, { maxClasses }) =>
      maxClasses !== undefined && maxClasses !== null && (e.confusion?.classes.length ?? 0) > maxClasses
        ? null
        : (e.confusion ?? null),
    classCount: (e) => e.confusion?.classes.length ?? 0,
    confusionPairs: (e, { limit }) => {
      const k = boundedInt(limit ?? 20, 'limit', 0, 200);
      const matrix = e.confusion?.matrix ?? [];
      // One pass over a 2,000 x 2,000 matrix per report version (the parsed report is cached), not per request.
      let byLimit = pairsMemo.get(matrix);
      if (!byLimit) pairsMemo.set(matrix, (byLimit = new Map()));
      let pairs = byLimit.get(k);
      if (!pairs) byLimit.set(k, (pairs = topConfusions(matrix, k)));
      return pairs;
    },
    // NaN (a class never queried) is not a GraphQL Float.
    perClass: (e) => (e.perClass ?? []).filter((c) => Number.isFinite(c.accuracy)),
    // Readable names for the confusion matrix's ids: from the report's per-class list, else the split.
    classes: async (e, _a, { services }) => {
      const ids = e.confusion?.classes ?? [];
      const names = new Map((e.perClass ?? []).map((c) => [c.id, c.name]));
      if (ids.some((id) => !names.has(id))) {
        try {
          const ds = await services.datasets.split(e.dataset, e.split);
          for (const c of ds.classes) if (!names.has(c.id)) names.set(c.id, c.name);
        } catch {
          // The dataset is gone: ids stand in for names.
        }
      }
      return ids.map((id, index) => ({ index, id, name: names.get(id) ?? id }));
    },
  },
  Job: {
    config: (j, _a, { services }) => publicConfig(j.config, services.publicText),
    run: async (j, _a, { services }) => (j.runId ? readRun(services.config.runsDir, j.runId) : null),
    evaluation: async (j) => {
      const path = (j.result as { reportPath?: unknown } | null)?.reportPath;
      // A tasks job (also `evaluate`) has its own report: `taskEvaluation`.
      const tasks = (j.result as { kind?: unknown } | null)?.kind === 'tasks';
      return j.kind === 'evaluate' && !tasks && typeof path === 'string' ? readEvaluation(path) : null;
    },
    error: (j, _a, { services }) => (j.error ? publicRunText(j.error, j.config, services.publicText) : null),
  },
};
