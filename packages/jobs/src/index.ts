export { EmbeddedEngine } from './embedded.js';
export { type JobEngine, type JobEvent } from './engine.js';
export { type JobData, type JobOutcome, type JobProgress, parseJobData } from './payload.js';
export { parseQueueUrl } from './queue-url.js';
export { openRedisEngine, startQueueWorker } from './queue.js';
export type { RedisEngine } from './redis.js';
export {
  cellReportPath,
  type CellStatus,
  checkSweepPlan,
  loadSweep,
  planSweep,
  readSweepSpec,
  saveSweep,
  sweepCsv,
  sweepMarkdown,
  sweepReport,
  type SweepPlan,
  type SweepRow,
  sweepsDir,
  sweepStatus,
  sweepTable,
} from './sweep.js';
export { runJob } from './runner.js';
export { CANCEL_GRACE_MS } from './thread.js';
export {
  readCampaign,
  planCampaign,
  campaignStatus,
  runCampaign,
  zooNameOf,
  type Campaign,
  type CampaignCellStatus,
  type CampaignEvent,
  type CampaignOutcome,
  type StagePlan,
} from './campaign.js';
