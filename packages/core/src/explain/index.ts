/** Explanations of RCN decisions: Region Activation Maps, prototypical parts, and faithfulness metrics. */
export * from './geometry.js';
export * from './colormap.js';
export * from './ram.js';
export * from './render.js';
export * from './context.js';
export * from './episode.js';
export * from './panel.js';
export * from './gradcam.js';
export * from './faithfulness.js';
export * from './kmeans.js';
export * from './parts.js';
export * from './explainer.js';
