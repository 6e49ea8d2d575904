export {
  defaultDataDir,
  defaultRunsDir,
  defaultZooDir,
  launchDir,
  resolvePaths,
  devTokenPath,
  ZOO_NAME,
} from './workspace.js';
