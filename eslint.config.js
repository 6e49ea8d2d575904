import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import coreFaces from './eslint-rules/core-faces.js';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/.next/**',
      '**/node_modules/**',
      '**/.turbo/**',
      '**/next-env.d.ts',
      // GraphQL Code Generator output (codegen.ts in apps/api and apps/web)
      'apps/api/src/graphql/generated.ts',
      'apps/web/src/gql/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // packages/core's folders meet only at their faces (README, "Architecture").
    files: ['packages/core/src/**/*.ts'],
    plugins: { rcn: { rules: { 'core-faces': coreFaces } } },
    rules: { 'rcn/core-faces': 'error' },
  },
  {
    // Served to the dashboard as `@rcn/core/colormap` and `@rcn/core/defaults`: nothing (no TensorFlow.js)
    // may come with them.
    files: ['packages/core/src/explain/colormap.ts', 'packages/core/src/config/defaults.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ImportDeclaration', message: 'a file the dashboard imports by subpath imports nothing' },
      ],
    },
  },
);
