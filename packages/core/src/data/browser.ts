/**
 * The browser face of data/: what a browser bundle may use (`@rcn/core/browser`). Everything it reaches is
 * free of Node and sharp; files on the browser path import other folders through these faces only.
 */
export {
  checkpointNormalization,
  domainWarning,
  type ImageStats,
  type InputSpec,
  inputSpecOf,
  type InputSpecSource,
  normalizeImageInto,
  type PreprocessedImage,
} from './input-spec.js';
export { normalizeInto } from './normalize.js';
export { datasetImage, prepareImage, type RgbaImage } from './prepare.js';
export { type NormStats } from './types.js';
