export * from './stats.js';
export * from './evaluate.js';
