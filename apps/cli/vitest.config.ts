import { NODE_TEST_CONFIG } from '@rcn/test-utils';
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: NODE_TEST_CONFIG });
