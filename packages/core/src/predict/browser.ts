/**
 * The browser face of predict/: an episode's arrays through a loaded checkpoint, answered as the server's
 * Predictor answers (the same code), with its Region Activation Maps. Files, datasets and the Predictor
 * stay behind the Node face (index.ts).
 */
export {
  type EpisodePrediction,
  episodePrediction,
  type PredictedQuery,
  PredictorError,
  type PredictorErrorCode,
  type SupportComparison,
} from './episode-prediction.js';
export { checkEpisodeArrays, type EpisodeModel, runEpisode } from './run-episode.js';
export { imagesToArrays } from './image-episode.js';
