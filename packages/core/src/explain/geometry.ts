/** Region geometry lives with the model (checkpoints need it without explanations); explain re-exports it. */
export * from '../model/geometry.js';
