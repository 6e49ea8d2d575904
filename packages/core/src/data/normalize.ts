import type { NormStats } from './types.js';

/**
 * Writes `src` (HWC uint8, 1 or 3 channels) normalised into `out[offset ...]` as HWC float32 with 3 channels.
 * Grey is replicated to 3 channels.
 */
export function normalizeInto(
  src: Uint8Array,
  h: number,
  w: number,
  channels: 1 | 3,
  norm: NormStats,
  out: Float32Array,
  offset: number,
): void {
  const [m0, m1, m2] = norm.mean;
  const [s0, s1, s2] = norm.std;
  // (x/255 - m)/s = x*a + b: one multiply-add per value.
  const a0 = 1 / (255 * s0),
    a1 = 1 / (255 * s1),
    a2 = 1 / (255 * s2);
  const b0 = -m0 / s0,
    b1 = -m1 / s1,
    b2 = -m2 / s2;
  const n = h * w;
  if (channels === 1) {
    for (let p = 0, o = offset; p < n; p++, o += 3) {
      const v = src[p];
      out[o] = v * a0 + b0;
      out[o + 1] = v * a1 + b1;
      out[o + 2] = v * a2 + b2;
    }
  } else {
    for (let p = 0, o = offset; p < n * 3; p += 3, o += 3) {
      out[o] = src[p] * a0 + b0;
      out[o + 1] = src[p + 1] * a1 + b1;
      out[o + 2] = src[p + 2] * a2 + b2;
    }
  }
}
