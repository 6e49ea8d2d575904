/** Configuration machinery shared by training, evaluation, the CLI and the API: errors, did-you-mean, layers. */
export { didYouMean } from './did-you-mean.js';
export { ConfigError, configErrorFrom, parseConfig } from './errors.js';
export {
  CONFIG_PRECEDENCE,
  loadLayeredConfig,
  type ConfigLayer,
  type ConfigLayerKind,
  type LoadedConfig,
} from './layers.js';
export {
  EPISODE_LIMITS,
  boundedIntSchema,
  intFieldSchema,
  intFieldHelp,
  numberSchema,
  nameSchema,
  oneOfSchema,
  formatConfigValue,
  type IntField,
} from './fields.js';
export { EVAL_DEFAULT_VALUES, PARTS_DEFAULT_VALUES, TRAIN_DEFAULT_VALUES } from './defaults.js';
