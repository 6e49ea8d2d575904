/**
 * Training-query augmentation, as the RCN reference does it with torchvision: RandomCrop(size, padding)
 * with zero fill, ColorJitter(0.4, 0.4, 0.4) (random order of the three), RandomHorizontalFlip, then
 * Normalize, then RandomErasing(p 0.5, scale 0.02-0.4, ratio 0.3-3.3, value 0). Plain loops over typed
 * arrays: per-pixel tensor ops would cost far more than the whole batch.
 */
import type { NormStats } from '../data/index.js';
import type { Rng } from '../util/index.js';

export interface AugmentConfig {
  /** Crop padding in pixels at 84x84, scaled by size/84 (8 -> 3 px at 28 and 32); null = no crop. */
  cropPadAt84: number | null;
  /** Horizontal flip with probability 0.5. */
  flip: boolean;
  /** ColorJitter strengths; null = off. */
  jitter: { brightness: number; contrast: number; saturation: number } | null;
  /** RandomErasing; null = off. */
  erase: { p: number; area: readonly [number, number]; aspect: readonly [number, number] } | null;
}

export const REFERENCE_AUGMENT: AugmentConfig = {
  cropPadAt84: 8,
  flip: true,
  jitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4 },
  erase: { p: 0.5, area: [0.02, 0.4], aspect: [0.3, 3.3] },
};

export function cropPadding(size: number, cfg: AugmentConfig): number {
  return cfg.cropPadAt84 === null ? 0 : Math.round((cfg.cropPadAt84 * size) / 84);
}

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * Augments and normalises one image into `out[offset ...]` (HWC float32, 3 channels). `scratch` must hold
 * h*w*channels floats; it is reused across images to avoid allocation. Draws from `rng` in a fixed order.
 * Grey images are augmented on their one channel (saturation is the identity on grey) and replicated last.
 */
export function augmentInto(
  src: Uint8Array,
  h: number,
  w: number,
  channels: 1 | 3,
  norm: NormStats,
  cfg: AugmentConfig,
  rng: Rng,
  out: Float32Array,
  offset: number,
  scratch: Float32Array,
): void {
  const cs = channels;
  const pad = cropPadding(Math.min(h, w), cfg);
  const oy = pad ? rng.int(2 * pad + 1) - pad : 0;
  const ox = pad ? rng.int(2 * pad + 1) - pad : 0;
  const flip = cfg.flip && rng.bool(0.5);

  // Crop (zero padding) + flip, to [0, 1].
  const inv = 1 / 255;
  for (let y = 0; y < h; y++) {
    const sy = y + oy;
    const rowOk = sy >= 0 && sy < h;
    for (let x = 0; x < w; x++) {
      const sx = (flip ? w - 1 - x : x) + ox;
      const d = (y * w + x) * cs;
      if (!rowOk || sx < 0 || sx >= w) {
        for (let c = 0; c < cs; c++) scratch[d + c] = 0;
      } else {
        const s = (sy * w + sx) * cs;
        for (let c = 0; c < cs; c++) scratch[d + c] = src[s + c] * inv;
      }
    }
  }

  const n = h * w * cs;
  if (cfg.jitter) {
    const j = cfg.jitter;
    const order = rng.shuffle([0, 1, 2]);
    const factor = (s: number) => (s > 0 ? rng.uniform(Math.max(0, 1 - s), 1 + s) : 1);
    const fb = factor(j.brightness);
    const fc = factor(j.contrast);
    const fs = factor(j.saturation);
    for (const op of order) {
      if (op === 0 && fb !== 1) {
        for (let i = 0; i < n; i++) {
          const v = scratch[i] * fb;
          scratch[i] = v > 1 ? 1 : v;
        }
      } else if (op === 1 && fc !== 1) {
        let mean = 0;
        if (cs === 3)
          for (let i = 0; i < n; i += 3)
            mean += 0.299 * scratch[i] + 0.587 * scratch[i + 1] + 0.114 * scratch[i + 2];
        else for (let i = 0; i < n; i++) mean += scratch[i];
        mean /= h * w;
        const k = (1 - fc) * mean;
        for (let i = 0; i < n; i++) scratch[i] = clamp01(fc * scratch[i] + k);
      } else if (op === 2 && fs !== 1 && cs === 3) {
        for (let i = 0; i < n; i += 3) {
          const g = (1 - fs) * (0.299 * scratch[i] + 0.587 * scratch[i + 1] + 0.114 * scratch[i + 2]);
          scratch[i] = clamp01(fs * scratch[i] + g);
          scratch[i + 1] = clamp01(fs * scratch[i + 1] + g);
          scratch[i + 2] = clamp01(fs * scratch[i + 2] + g);
        }
      }
    }
  }

  const [m0, m1, m2] = norm.mean;
  const [s0, s1, s2] = norm.std;
  const a0 = 1 / s0,
    a1 = 1 / s1,
    a2 = 1 / s2;
  const b0 = -m0 / s0,
    b1 = -m1 / s1,
    b2 = -m2 / s2;
  if (cs === 3) {
    for (let i = 0, o = offset; i < n; i += 3, o += 3) {
      out[o] = scratch[i] * a0 + b0;
      out[o + 1] = scratch[i + 1] * a1 + b1;
      out[o + 2] = scratch[i + 2] * a2 + b2;
    }
  } else {
    for (let i = 0, o = offset; i < n; i++, o += 3) {
      const v = scratch[i];
      out[o] = v * a0 + b0;
      out[o + 1] = v * a1 + b1;
      out[o + 2] = v * a2 + b2;
    }
  }

  if (cfg.erase && rng.bool(cfg.erase.p)) {
    const area = h * w;
    const [e0, e1] = cfg.erase.area;
    const [r0, r1] = [Math.log(cfg.erase.aspect[0]), Math.log(cfg.erase.aspect[1])];
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = area * rng.uniform(e0, e1);
      const aspect = Math.exp(rng.uniform(r0, r1));
      const eh = Math.round(Math.sqrt(target * aspect));
      const ew = Math.round(Math.sqrt(target / aspect));
      if (!(eh < h && ew < w)) continue;
      const top = rng.int(h - eh + 1);
      const left = rng.int(w - ew + 1);
      for (let y = top; y < top + eh; y++)
        out.fill(0, offset + (y * w + left) * 3, offset + (y * w + left + ew) * 3);
      break;
    }
  }
}
