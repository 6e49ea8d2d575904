import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // wasm instances are large and tests are CPU-bound on 2 cores: one file at a time.
    fileParallelism: false,
    pool: 'forks',
  },
});
