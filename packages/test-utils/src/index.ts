export {
  API_ROOT,
  postFrom,
  removeDirs,
  startServer,
  tempDirs,
  TEST_TOKEN,
  type GraphQLResult,
  type ServerProcess,
  type StartOptions,
} from './api-server.js';
export { exited, startChild, type Child } from './child.js';
export { freePort } from './net.js';
export { haveRedis, startRedis, type RedisServer } from './redis.js';
export { REPO_ROOT, requireSharedData, sharedDataDir } from './shared-data.js';
export { webGpuMissing } from './webgpu.js';
export { tinyCampaign, type TinyCampaign } from './campaign.js';
export { NODE_TEST_CONFIG } from './vitest.js';
