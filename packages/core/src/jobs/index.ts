export * from './payload.js';
export * from './engine.js';
export { runJob, readAttempts, checkpointEpisode, ATTEMPTS_FILE, type AttemptEvent } from './runner.js';
export { runInThread, type ThreadJob } from './thread.js';
export { EmbeddedEngine } from './embedded.js';
export {
  RedisEngine,
  startQueueWorker,
  parseQueueUrl,
  QUEUE_NAME,
  type RedisEngineOptions,
  type QueueWorker,
  type QueueWorkerOptions,
} from './redis.js';
export {
  readSweepSpec,
  planSweep,
  saveSweep,
  loadSweep,
  sweepStatus,
  sweepTable,
  sweepMarkdown,
  sweepCsv,
  cellReportPath,
  sweepPath,
  sweepsDir,
  sweepSpecSchema,
  type SweepSpec,
  type SweepPlan,
  type SweepCell,
  type CellState,
  type CellStatus,
  type SweepRow,
} from './sweep.js';
