/** Training defaults and bounds: the schema's (config-schema.ts), kept here under their old names. */
export {
  METHODS,
  TRAIN_LIMITS,
  TRAIN_FIELDS,
  TRAIN_DEFAULTS,
  maxTrainWorkers,
  defaultTrainConfig,
  validateTrainConfig,
  loadTrainConfig,
  trainConfigSchema,
  type TrainConfigInput,
} from './config-schema.js';
