/**
 * GraphQL Code Generator: the resolver types of schema.graphql, written to src/graphql/generated.ts
 * (git-ignored; `pnpm codegen`, which turbo runs before build, typecheck, lint and test).
 * Mappers name the internal models a resolver returns for a schema type whose fields are resolved from them.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  silent: true,
  generates: {
    'src/graphql/generated.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        immutableTypes: false,
        contextType: './context.js#Context',
        scalars: { JSON: 'unknown', ID: 'string' },
        // Root fields all have resolvers (the compiler checks it); other fields resolve by default.
        avoidOptionals: { query: true, mutation: true, subscription: true, defaultValue: true },
        mappers: {
          Backend: '@rcn/core#BackendInfo',
          Dataset: '@rcn/core#DatasetEntry',
          DatasetSplit: './models.js#SplitModel',
          DatasetClass: './models.js#ClassModel',
          Episode: '@rcn/core#Episode as EpisodeModel',
          Run: '@rcn/core#RunSummary',
          Job: '../store/types.js#JobRecord',
          Evaluation: './models.js#EvaluationModel',
          Sweep: './models.js#SweepModel',
          TasksFile: '../services/tasks.js#OpenedTasks',
          TaskEvaluation: './models.js#TaskEvaluationModel',
        },
      },
    },
  },
};

export default config;
