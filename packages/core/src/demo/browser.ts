/** The browser face of demo/: the format of a demo folder's `demo.json`, which its page reads. */
export { type DemoEpisode, type DemoManifest, isDemoManifest } from './manifest.js';
