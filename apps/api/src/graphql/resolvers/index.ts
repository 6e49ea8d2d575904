/** The resolver map, assembled from one module per area. */
import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { jobUpdates } from '../../jobs/updates.js';
import { notFound } from '../errors.js';
import type { Resolvers } from '../types.js';
import { datasetQueries, datasetTypes } from './datasets.js';
import { inferenceQueries, predictMutation } from './inference.js';
import { mutations } from './mutations.js';
import { runQueries, runTypes } from './runs.js';
import { sweepQueries, sweepTypes } from './sweeps.js';
import { tasksMutation, tasksQueries, tasksTypes } from './tasks.js';

function literal(v: ValueNode): unknown {
  switch (v.kind) {
    case Kind.INT:
    case Kind.FLOAT:
      return Number(v.value);
    case Kind.STRING:
    case Kind.BOOLEAN:
      return v.value;
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return v.values.map(literal);
    case Kind.OBJECT:
      return Object.fromEntries(v.fields.map((f) => [f.name.value, literal(f.value)]));
    default:
      return undefined;
  }
}

/**
 * `v` as JSON would carry it (non-finite numbers and undefined array items null, undefined fields gone),
 * returning `v` itself where nothing changes: a 2,000-class confusion matrix (4 million numbers) is checked,
 * not copied through a JSON round trip. Values other than plain objects and arrays take the round trip.
 */
export function plainJson(v: unknown): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (v === undefined) return null;
  if (Array.isArray(v)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      const y = typeof x === 'number' && Number.isFinite(x) ? x : plainJson(x);
      if (y !== x && !out) out = v.slice(0, i);
      if (out) out.push(y);
    }
    return out ?? v;
  }
  const proto = typeof v === 'object' ? (Object.getPrototypeOf(v) as unknown) : undefined;
  if (proto !== Object.prototype && proto !== null) return JSON.parse(JSON.stringify(v) ?? 'null') as unknown;
  const o = v as Record<string, unknown>;
  let out: Record<string, unknown> | null = null;
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (x === undefined) {
      out ??= { ...o };
      delete out[k];
      continue;
    }
    const y = plainJson(x);
    if (y !== x) (out ??= { ...o })[k] = y;
  }
  return out ?? o;
}

/** Arbitrary JSON (configs, model descriptions, confusion matrices); non-finite numbers become null. */
const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  serialize: (v) => plainJson(v ?? null),
  parseValue: (v) => v,
  parseLiteral: literal,
});

export const resolvers: Resolvers = {
  JSON: JSONScalar,
  Query: {
    backend: (_p, _a, { services }) => services.backend(),
    ...datasetQueries,
    ...runQueries,
    ...inferenceQueries,
    ...sweepQueries,
    ...tasksQueries,
  },
  Mutation: { ...mutations, ...predictMutation, ...tasksMutation },
  Subscription: {
    job: {
      subscribe: (_p, { id }, { services }) => {
        const job = services.jobs.get(id);
        if (!job) throw notFound(`no job '${id}'`);
        return jobUpdates(services.jobs, job);
      },
      resolve: (job) => job,
    },
  },
  Backend: { name: (b) => b.name },
  ...datasetTypes,
  ...runTypes,
  Run: { ...runTypes.Run, ...tasksTypes.RunTasks },
  Job: { ...runTypes.Job, ...tasksTypes.JobTasks },
  ...sweepTypes,
  ...{ TasksFile: tasksTypes.TasksFile, TaskEvaluation: tasksTypes.TaskEvaluation },
};
