export { PromiseCache, type PromiseCacheOptions } from './promise-cache.js';
export { Rng } from './rng.js';
