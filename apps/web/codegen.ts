/**
 * GraphQL Code Generator: typed documents for the dashboard's operations (the `graphql()` calls in src/),
 * checked against the API's schema, written to src/gql/ (git-ignored; `pnpm codegen`, which turbo runs
 * before build, typecheck, lint and test). Result types are what each operation selects.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../api/schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  silent: true,
  generates: {
    'src/gql/': {
      preset: 'client',
      // Components take fragment results as plain data (no masking).
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        onlyOperationTypes: true,
        skipTypename: true,
        // The server returns every selected field: null, never absent.
        avoidOptionals: { field: true },
        scalars: { JSON: 'unknown', ID: 'string' },
      },
    },
  },
};

export default config;
