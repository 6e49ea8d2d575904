/**
 * The browser face of episodes/: an episode's arrays as model tensors. Sampling and batching from a
 * dataset read files and stay behind the Node face (index.ts).
 */
export type { EpisodeArrays } from './batch.js';
export { arraysToBatch, arraysToTensors } from './tensors.js';
