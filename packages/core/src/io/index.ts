export * from './npy.js';
export * from './atomic.js';
export * from './netpbm.js';
