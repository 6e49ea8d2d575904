export { defaultDataDir, defaultRunsDir, launchDir, resolvePaths, devTokenPath } from './workspace.js';
