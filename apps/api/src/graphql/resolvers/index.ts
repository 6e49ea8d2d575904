/** The resolver map, assembled from one module per area. */
import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { jobUpdates } from '../../jobs/updates.js';
import { plainJson } from '../plain-json.js';
import { notFound } from '../errors.js';
import type { JobRecord } from '../../store/types.js';
import type { Resolvers } from '../generated.js';
import { datasetQueries, datasetTypes } from './datasets.js';
import { inferenceQueries, predictMutation } from './inference.js';
import { mutations } from './mutations.js';
import { runQueries, runTypes } from './runs.js';
import { sweepQueries, sweepTypes } from './sweeps.js';
import { jobTasks, runTasks, tasksMutation, tasksQueries, tasksTypes } from './tasks.js';
import { zooQueries } from './zoo.js';

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
    ...zooQueries,
  },
  Mutation: { ...mutations, ...predictMutation, ...tasksMutation },
  Subscription: {
    job: {
      subscribe: (_p, { id }, { services }) => {
        const job = services.jobs.get(id);
        if (!job) throw notFound(`no job '${id}'`);
        return jobUpdates(services.jobs, job);
      },
      resolve: (job: JobRecord) => job,
    },
  },
  Backend: { name: (b) => b.name },
  ...datasetTypes,
  ...runTypes,
  Run: { ...runTypes.Run, ...runTasks },
  Job: { ...runTypes.Job, ...jobTasks },
  ...sweepTypes,
  ...tasksTypes,
};
