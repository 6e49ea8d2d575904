export { buildEpisodeArrays, type EpisodeArrays } from './batch.js';
export { episodeStream } from './loader.js';
export { type Episode, type EpisodeImage, sampleEpisode } from './sampler.js';
export { type EpisodeSpec, formatEpisodeId, parseEpisodeId } from './spec.js';
export { syntheticEpisodeArrays } from './synthetic.js';
export { arraysToBatch, arraysToTensors } from './tensors.js';
