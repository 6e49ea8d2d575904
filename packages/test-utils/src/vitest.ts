/**
 * The vitest settings of the packages whose tests train and evaluate models on two cores: every test file
 * under test/, one file at a time (each uses the whole machine), and timeouts for minutes-long cases.
 */
export const NODE_TEST_CONFIG = {
  include: ['test/**/*.test.ts'],
  testTimeout: 300_000,
  hookTimeout: 300_000,
  fileParallelism: false,
};
