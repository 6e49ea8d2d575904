/** Predictions on a user's own image files with a trained checkpoint (CLI `predict`). */
export * from './files.js';
export * from './predict.js';
export * from './predictor.js';
