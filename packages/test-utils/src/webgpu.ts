/**
 * Whether a WebGPU adapter exists here (on CI: Mesa's lavapipe from bookworm-backports, installed by .ci/run).
 * Absent, the WebGPU suites skip with the reason, except under CI=true, where that is a failure.
 */

/** Why `probe` (a call that needs a WebGPU adapter) fails here, or null when it succeeds. */
export async function webGpuMissing(probe: () => Promise<unknown>): Promise<string | null> {
  let reason: string | null = null;
  try {
    await probe();
  } catch (e) {
    reason = e instanceof Error ? e.message : String(e);
  }
  if (reason && process.env.CI === 'true') throw new Error(`CI=true but WebGPU is unavailable: ${reason}`);
  if (reason) console.warn(`skipping WebGPU tests: ${reason}`);
  return reason;
}
