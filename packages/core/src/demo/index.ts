/** Static demo folders: a checkpoint, example episodes and a prebuilt page, for any static host. */
export { type DemoOptions, type DemoSummary, exportDemo } from './export.js';
export { type DemoEpisode, type DemoManifest, isDemoManifest } from './manifest.js';
export { type DatasetTerms, knownDatasetTerms } from './terms.js';
