export { defaultDataDir, defaultRunsDir, launchDir, resolvePaths } from './workspace.js';
