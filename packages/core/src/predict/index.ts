/** Predictions on a user's own image files with a trained checkpoint (CLI `predict`). */
export { type LabelledFile, readQueryInputs, readSupportFolder, type SupportSet } from './files.js';
export {
  type ChunkPass,
  formatPredictions,
  predictFiles,
  type PredictResult,
  type QueryChunk,
} from './predict.js';
export {
  type EpisodePrediction,
  type SupportComparison,
  episodePrediction,
  predictionAccuracy,
} from './episode-prediction.js';
export { Predictor, type PredictedEpisode } from './predictor.js';
export { checkEpisodeArrays, type EpisodeModel, runEpisode } from './run-episode.js';
