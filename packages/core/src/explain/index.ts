/** Explanations of RCN decisions: Region Activation Maps, prototypical parts, and faithfulness metrics. */
export { rangeOf } from './colormap.js';
export { type ExplainContext, loadExplainContext, ExplainError } from './context.js';
export { type EpisodeExplanation, explainEpisode, explanationJson } from './episode.js';
export { explainEpisodeArrays, type ExplainedEpisode } from './episode-arrays.js';
export { Explainer } from './explainer.js';
export { explainFiles } from './files.js';
export {
  ATTRIBUTION_METHODS,
  type AttributionMethod,
  formatFaithfulness,
  measureFaithfulness,
} from './faithfulness.js';
export { renderEpisodePanel, renderPairPng } from './panel.js';
export { type PartsResult, prototypicalParts, renderPartsGallery } from './parts.js';
export { PARTS_FIELDS, PARTS_SPLIT } from './parts-config.js';
export {
  classRam,
  computeEpisodeRam,
  pairRam,
  pairSimilarity,
  predictions,
  queryProbabilities,
} from './ram.js';
export { crop, heatOverlay, resizeNearest, toRgb } from './render.js';
