export * from './npy.js';
export * from './atomic.js';
