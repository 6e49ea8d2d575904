/**
 * The browser face of explain/: the Region Activation Maps of an episode as numbers (what the maps are
 * made of, `explainEpisodeArrays` from one pass) and the viridis table they are drawn with. Rendering PNGs, parts and faithfulness stay behind
 * the Node face (index.ts).
 */
export { viridis } from './colormap.js';
export { explainEpisodeArrays, type ExplainedEpisode } from './episode-arrays.js';
export {
  classRam,
  type ClassRam,
  computeEpisodeRam,
  type EpisodeRam,
  pairRam,
  type PairRam,
  predictions,
  regionSimilarityMap,
} from './ram.js';
