export { type ConfusedPair, topConfusions } from './confusion.js';
export { type EvalOptions, type EvalReport, evaluateModel, formatAccuracy } from './evaluate.js';
export { importLakeRuns, isLakeRuns } from './lake.js';
export { meanCi95, tQuantile } from './stats.js';
export {
  evaluateTasks,
  formatTaskReport,
  readTaskFile,
  type TaskEvalReport,
  parseTaskFile,
  resolveTask,
  type ResolvedTask,
  type TaskFile,
} from './tasks.js';
export { EVAL_FIELDS, loadEvalConfig, type EvalConfig } from './config-schema.js';
