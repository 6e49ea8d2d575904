export { DecodeCache } from './cache.js';
export { readText } from './csv.js';
export { DataError } from './errors.js';
export { fetchOmniglot } from './fetch.js';
export { formatSkipped, imageExtensions, listImages, seededClassSplit, type SkippedFiles } from './folder.js';
export { normalizeInto } from './normalize.js';
export { OMNIGLOT_SCHEMES, type OmniglotScheme } from './omniglot.js';
export { preloadDataset } from './preload.js';
export {
  domainWarning,
  type InputSpec,
  inputSpecOf,
  normalizeImageInto,
  type PreprocessedImage,
  checkpointNormalization,
} from './input-spec.js';
export { isGreyImageFile, preprocessImage, preprocessImageFile } from './preprocess.js';
export {
  type DatasetEntry,
  discoverDatasets,
  findDatasets,
  findFolderDataset,
  openDataset,
} from './registry.js';
export {
  type ClassInfo,
  type FewShotDataset,
  type ImageRef,
  MINI_IMAGENET_NORM,
  type NormStats,
} from './types.js';
