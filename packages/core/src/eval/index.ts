export * from './stats.js';
export * from './evaluate.js';
export * from './tasks.js';
export * from './lake.js';
export * from './confusion.js';
