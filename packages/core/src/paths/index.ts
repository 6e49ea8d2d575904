export {
  defaultDataDir,
  defaultRunsDir,
  defaultZooDir,
  launchDir,
  resolvePaths,
  devTokenPath,
  ZOO_NAME,
  RUN_ID,
  assertRunId,
} from './workspace.js';
export { isRunFolder, RUN_FILES, runCheckpointPath } from './run-layout.js';
