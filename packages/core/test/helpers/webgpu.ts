/** Whether Dawn finds a WebGPU adapter here (see @rcn/test-utils' webGpuMissing). */
import { webGpuMissing as missing } from '@rcn/test-utils';
import { requestWebGpuAdapter } from '../../src/backend/webgpu.js';

export const webGpuMissing = (): Promise<string | null> => missing(requestWebGpuAdapter);
