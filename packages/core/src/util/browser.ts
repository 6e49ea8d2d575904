/** The browser face of util/: what a browser bundle may use (everything here is plain JavaScript). */
export { PromiseCache, type PromiseCacheOptions } from './promise-cache.js';
