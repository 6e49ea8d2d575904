/**
 * Image decoding (sharp) into HWC uint8, plus the few pixel operations loaders need on typed arrays.
 */
import type { Sharp as SharpImage } from 'sharp';
import { readFile } from 'node:fs/promises';
import { DataError } from './errors.js';
import { decodeNetpbm, isNetpbm, sharp } from '../io/index.js';

/** sharp's input for encoded bytes: netpbm is decoded here (prebuilt libvips has no ppm loader). */
export function sharpInput(input: Uint8Array, maxPixels?: number): SharpImage {
  if (isNetpbm(input)) {
    const img = decodeNetpbm(input);
    if (maxPixels !== undefined && img.width * img.height > maxPixels)
      throw new Error(`Input image exceeds pixel limit (${img.width}x${img.height})`);
    return sharp()(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } });
  }
  return sharp()(input, { failOn: 'error', ...(maxPixels !== undefined && { limitInputPixels: maxPixels }) });
}

export interface DecodeOptions {
  /** Output is `size x size` (aspect ratio is not kept, as in the standard few-shot pipelines). */
  size: number;
  channels: 1 | 3;
  /** Refuse larger images while decoding (sharp's `limitInputPixels`); default sharp's own limit. */
  maxPixels?: number;
}

/**
 * Decodes an encoded image (JPEG, PNG, ..., PGM/PPM) to `size x size x channels` uint8.
 * `source` names the file in errors. Images already at the target size come out unchanged.
 */
export async function decodeImage(
  input: Uint8Array,
  source: string,
  opts: DecodeOptions,
): Promise<Uint8Array> {
  try {
    // No metadata call first (it costs a quarter of a small decode): libvips leaves an image that is
    // already at the target size untouched, so resizing unconditionally is exact.
    let img = sharpInput(input, opts.maxPixels).resize(opts.size, opts.size, {
      fit: 'fill',
      kernel: 'lanczos3',
    });
    img = opts.channels === 1 ? img.greyscale() : img.removeAlpha().toColourspace('srgb');
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    if (info.channels === opts.channels) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (info.channels === 1 && opts.channels === 3) return greyToRgb(data);
    throw new Error(`decoded to ${info.channels} channels, expected ${opts.channels}`);
  } catch (e) {
    throw new DataError(source, `cannot decode image (${(e as Error).message})`);
  }
}

/** Reads and decodes an image file; a missing or unreadable file is a DataError naming it. */
export async function decodeImageFile(path: string, opts: DecodeOptions): Promise<Uint8Array> {
  let buf: Uint8Array;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(
      path,
      code === 'ENOENT' ? 'image file is missing' : `cannot read image (${code ?? (e as Error).message})`,
    );
  }
  if (buf.length === 0) throw new DataError(path, 'image file is empty');
  return decodeImage(buf, path, opts);
}

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
