export { requireSharedData, sharedDataDir } from './shared-data.js';
export { webGpuMissing } from './webgpu.js';
