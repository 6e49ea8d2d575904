/**
 * Pixel operations on typed arrays (HWC uint8), in plain JavaScript with no decoder: the Omniglot loader's
 * area average, rotations, channel conversions and a Lanczos-3 resize. Plain JS so that the npz and PNG
 * paths of Omniglot give identical bytes on any machine, and so that the browser entry
 * (`@rcn/core/browser`) treats images without sharp.
 */

export function greyToRgb(grey: Uint8Array): Uint8Array {
  const out = new Uint8Array(grey.length * 3);
  for (let i = 0, j = 0; i < grey.length; i++, j += 3) out[j] = out[j + 1] = out[j + 2] = grey[i];
  return out;
}

interface Taps {
  /** For output i: source indices start[i] .. start[i] + count[i] - 1 with weights w[off[i] ...]. */
  start: Int32Array;
  count: Int32Array;
  off: Int32Array;
  w: Float64Array;
}
const tapMemo = new Map<string, Taps>();

/** Box-filter taps from `src` to `dst` samples: each output averages the source span it covers. */
function areaTaps(src: number, dst: number): Taps {
  const key = `${src}>${dst}`;
  let t = tapMemo.get(key);
  if (t) return t;
  const f = src / dst;
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const off = new Int32Array(dst);
  const w: number[] = [];
  for (let i = 0; i < dst; i++) {
    const a = i * f;
    const b = a + f;
    start[i] = Math.floor(a);
    off[i] = w.length;
    for (let s = Math.floor(a); s < Math.min(src, Math.ceil(b)); s++)
      w.push((Math.min(s + 1, b) - Math.max(s, a)) / f);
    count[i] = w.length - off[i];
  }
  t = { start, count, off, w: Float64Array.from(w) };
  tapMemo.set(key, t);
  return t;
}

/**
 * Area-average resize of a grey image (exact box filter with fractional pixel coverage, applied
 * separably), in plain JS so that the npz and PNG paths of Omniglot give identical bytes on any machine.
 * `src` may be 0/1 bits when `scale` is 255 (the npz booleans), saving a conversion pass.
 */
export function resizeAreaGrey(
  src: Uint8Array,
  sw: number,
  sh: number,
  dw: number,
  dh: number,
  scale = 1,
): Uint8Array {
  if (sw === dw && sh === dh) return scale === 1 ? src.slice() : src.map((v) => v * scale);
  const tx = areaTaps(sw, dw);
  const ty = areaTaps(sh, dh);
  // Horizontal pass into a float buffer (sh x dw), then vertical.
  const mid = new Float64Array(sh * dw);
  for (let y = 0; y < sh; y++) {
    const row = y * sw;
    for (let x = 0; x < dw; x++) {
      let acc = 0;
      const s0 = row + tx.start[x];
      const o = tx.off[x];
      for (let k = 0; k < tx.count[x]; k++) acc += tx.w[o + k] * src[s0 + k];
      mid[y * dw + x] = acc;
    }
  }
  const out = new Uint8Array(dw * dh);
  for (let y = 0; y < dh; y++) {
    const s0 = ty.start[y];
    const o = ty.off[y];
    const n = ty.count[y];
    for (let x = 0; x < dw; x++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += ty.w[o + k] * mid[(s0 + k) * dw + x];
      const v = Math.round(acc * scale);
      out[y * dw + x] = v > 255 ? 255 : v;
    }
  }
  return out;
}

/** Rotates a square HWC image counter-clockwise by `quarterTurns * 90` degrees (as numpy's rot90). */
export function rotateSquare(
  src: Uint8Array,
  size: number,
  channels: number,
  quarterTurns: number,
): Uint8Array {
  const q = ((quarterTurns % 4) + 4) % 4;
  if (q === 0) return src;
  const out = new Uint8Array(src.length);
  const n = size - 1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Destination (y, x) takes from the source pixel that rotation maps onto it.
      let sy: number, sx: number;
      if (q === 1) [sy, sx] = [x, n - y];
      else if (q === 2) [sy, sx] = [n - y, n - x];
      else [sy, sx] = [n - x, y];
      const d = (y * size + x) * channels;
      const s = (sy * size + sx) * channels;
      for (let c = 0; c < channels; c++) out[d + c] = src[s + c];
    }
  }
  return out;
}

/** sRGB 8-bit value -> linear light in [0, 1] (IEC 61966-2-1), per value. */
const SRGB_TO_LINEAR = Float64Array.from({ length: 256 }, (_v, i) => {
  const c = i / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

function linearToSrgb8(y: number): number {
  const c = y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055;
  return Math.min(255, Math.max(0, Math.round(255 * c)));
}

/**
 * Grey of RGBA pixels as libvips (sharp's `greyscale()`) computes it: the Rec. 709 luminance of the
 * linear-light colour, encoded back with the sRGB curve. A grey pixel (R = G = B) keeps its value. Alpha is
 * ignored, as sharp's `removeAlpha()` drops it.
 */
export function rgbaToGrey(rgba: ArrayLike<number>, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let p = 0, i = 0; p < pixels; p++, i += 4) {
    const r = rgba[i];
    const g = rgba[i + 1];
    const b = rgba[i + 2];
    out[p] =
      r === g && g === b
        ? r
        : linearToSrgb8(0.2126 * SRGB_TO_LINEAR[r] + 0.7152 * SRGB_TO_LINEAR[g] + 0.0722 * SRGB_TO_LINEAR[b]);
  }
  return out;
}

/** RGB of RGBA pixels (alpha dropped, as sharp's `removeAlpha()`). */
export function rgbaToRgb(rgba: ArrayLike<number>, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += 4, o += 3) {
    out[o] = rgba[i];
    out[o + 1] = rgba[i + 1];
    out[o + 2] = rgba[i + 2];
  }
  return out;
}

const LANCZOS_A = 3;

function lanczos(x: number): number {
  if (x === 0) return 1;
  if (x <= -LANCZOS_A || x >= LANCZOS_A) return 0;
  const px = Math.PI * x;
  return (LANCZOS_A * Math.sin(px) * Math.sin(px / LANCZOS_A)) / (px * px);
}

/**
 * Lanczos-3 taps from `src` to `dst` samples, pixel centres aligned; when shrinking the kernel is widened by
 * the factor (so it averages what it drops, as libvips' reduce does); edges clamp.
 */
function lanczosTaps(src: number, dst: number): Taps {
  const scale = src / dst;
  const stretch = Math.max(1, scale);
  const support = LANCZOS_A * stretch;
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const off = new Int32Array(dst);
  const w: number[] = [];
  for (let i = 0; i < dst; i++) {
    const centre = (i + 0.5) * scale - 0.5;
    const lo = Math.ceil(centre - support);
    const hi = Math.floor(centre + support);
    // Weights of clamped taps fold onto the edge pixel, so start..start+count stays inside the image.
    const first = Math.max(0, lo);
    const last = Math.min(src - 1, hi);
    const acc = new Float64Array(last - first + 1);
    let sum = 0;
    for (let s = lo; s <= hi; s++) {
      const v = lanczos((s - centre) / stretch);
      acc[Math.min(last, Math.max(first, s)) - first] += v;
      sum += v;
    }
    start[i] = first;
    off[i] = w.length;
    for (const v of acc) w.push(v / sum);
    count[i] = acc.length;
  }
  return { start, count, off, w: Float64Array.from(w) };
}

/**
 * Resizes HWC uint8 `src` (sw x sh, `channels` channels) to dw x dh with a separable Lanczos-3 filter
 * (stretched: the aspect ratio is not kept, as the loaders do). An image already at the size comes back
 * unchanged, as sharp leaves it.
 */
export function resizeLanczos3(
  src: Uint8Array,
  sw: number,
  sh: number,
  channels: number,
  dw: number,
  dh: number,
): Uint8Array {
  if (sw === dw && sh === dh) return src.slice();
  const tx = lanczosTaps(sw, dw);
  const ty = lanczosTaps(sh, dh);
  const mid = new Float64Array(sh * dw * channels);
  for (let y = 0; y < sh; y++)
    for (let x = 0; x < dw; x++)
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        const s0 = (y * sw + tx.start[x]) * channels + c;
        for (let k = 0; k < tx.count[x]; k++) acc += tx.w[tx.off[x] + k] * src[s0 + k * channels];
        mid[(y * dw + x) * channels + c] = acc;
      }
  const out = new Uint8Array(dw * dh * channels);
  for (let y = 0; y < dh; y++)
    for (let x = 0; x < dw; x++)
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        const s0 = (ty.start[y] * dw + x) * channels + c;
        for (let k = 0; k < ty.count[y]; k++) acc += ty.w[ty.off[y] + k] * mid[s0 + k * dw * channels];
        out[(y * dw + x) * channels + c] = Math.min(255, Math.max(0, Math.round(acc)));
      }
  return out;
}
