/**
 * `@rcn/core/browser`: the path from a checkpoint to predictions and Region Activation Maps, for a
 * browser bundle. A checkpoint folder fetched over HTTP (`fetchCheckpoint`), images treated as the
 * checkpoint's training images were (`prepareImage`, `datasetImage`), an episode run (`runEpisode`) or run
 * with its maps (`explainEpisodeArrays`) on WebGPU or wasm SIMD (`initBrowserBackend`). The same code as the server's, with no
 * Node module anywhere on the path (test/browser/bundle.test.ts bundles this file for a browser).
 */
export {
  type BrowserBackendInfo,
  type BrowserBackendName,
  type BrowserBackendOptions,
  initBrowserBackend,
  type WebGpuAdapterInfo,
} from './backend/browser.js';
export {
  datasetImage,
  domainWarning,
  type ImageStats,
  type InputSpec,
  type NormStats,
  prepareImage,
  type PreprocessedImage,
  type RgbaImage,
} from './data/browser.js';
export { type DemoEpisode, type DemoManifest, isDemoManifest } from './demo/browser.js';
export { type EpisodeArrays } from './episodes/browser.js';
export {
  classRam,
  type ClassRam,
  type EpisodeRam,
  explainEpisodeArrays,
  type ExplainedEpisode,
  pairRam,
  type PairRam,
  regionSimilarityMap,
  viridis,
} from './explain/browser.js';
export {
  type Box,
  CheckpointError,
  type CheckpointMetadata,
  type FetchCheckpointOptions,
  type FetchedCheckpoint,
  fetchCheckpoint,
  type GridGeometry,
  gridGeometry,
  type Method,
  regionGeometry,
  type RegionGeometry,
} from './model/browser.js';
export {
  type EpisodeModel,
  type EpisodePrediction,
  imagesToArrays,
  type PredictedQuery,
  PredictorError,
  runEpisode,
  type SupportComparison,
} from './predict/browser.js';
export { PromiseCache } from './util/browser.js';
