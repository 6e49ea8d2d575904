export * from './stats.js';
export * from './evaluate.js';
export * from './tasks.js';
export * from './lake.js';
export * from './confusion.js';
export {
  EVAL_FIELDS,
  evalConfigSchema,
  loadEvalConfig,
  type EvalConfig,
  type EvalConfigInput,
} from './config-schema.js';
