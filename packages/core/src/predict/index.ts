/** Predictions on a user's own image files with a trained checkpoint (CLI `predict`). */
export { type LabelledFile, readQueryInputs, readSupportFolder, type SupportSet } from './files.js';
export { formatPredictions, predictFiles } from './predict.js';
export {
  type EpisodePrediction,
  type SupportComparison,
  Predictor,
  type PredictedEpisode,
  episodePrediction,
  predictionAccuracy,
} from './predictor.js';
