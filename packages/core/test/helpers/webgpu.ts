/**
 * Whether a WebGPU adapter exists here (on CI: Mesa's lavapipe from bookworm-backports, installed by .ci/run).
 * Absent, the WebGPU suites skip with the reason, except under CI=true, where that is a failure.
 */
import { requestWebGpuAdapter } from '../../src/backend/webgpu.js';

export async function webGpuMissing(): Promise<string | null> {
  let reason: string | null = null;
  try {
    await requestWebGpuAdapter();
  } catch (e) {
    reason = e instanceof Error ? e.message : String(e);
  }
  if (reason && process.env.CI === 'true') throw new Error(`CI=true but WebGPU is unavailable: ${reason}`);
  if (reason) console.warn(`skipping WebGPU tests: ${reason}`);
  return reason;
}
