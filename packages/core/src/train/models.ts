/** The trainer builds models through the model folder's factory (checkpoints are opened by `openCheckpoint`). */
export { createModel } from '../model/create.js';
