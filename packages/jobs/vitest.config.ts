import { NODE_TEST_CONFIG } from '@rcn/test-utils';
import { defineConfig } from 'vitest/config';

// wasm instances are large and tests are CPU-bound on 2 cores: one file at a time, each in its own process.
export default defineConfig({ test: { ...NODE_TEST_CONFIG, pool: 'forks' } });
