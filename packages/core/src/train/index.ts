export { ReplicaPool, type ReplicaPoolOptions, type ParallelGradients } from './replica-pool.js';
export { averageWeightMaps, arraysToBatch, tensorsToWeightMap, weightMapBuffers } from './weights.js';
