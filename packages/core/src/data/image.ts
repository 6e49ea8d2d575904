/**
 * Image decoding (sharp) into HWC uint8, plus the few pixel operations loaders need on typed arrays.
 */
import sharp from 'sharp';
import { readFile } from 'node:fs/promises';
import { DataError } from './errors.js';

export interface DecodeOptions {
  /** Output is `size x size` (aspect ratio is not kept, as in the standard few-shot pipelines). */
  size: number;
  channels: 1 | 3;
}




/**
 * Decodes an encoded image (JPEG, PNG, ...) to `size x size x channels` uint8.
 * `source` names the file in errors. Images already at the target size are not resampled.
 */
export async function decodeImage(input: Uint8Array, source: string, opts: DecodeOptions): Promise<Uint8Array> {
  try {
    let img = sharp(input, { failOn: 'error' });
    const meta = await img.metadata();
    if (meta.width !== opts.size || meta.height !== opts.size) {
      img = img.resize(opts.size, opts.size, { fit: 'fill', kernel: 'lanczos3' });
    }
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
    throw new DataError(path, code === 'ENOENT' ? 'image file is missing' : `cannot read image (${code ?? (e as Error).message})`);
  }
  if (buf.length === 0) throw new DataError(path, 'image file is empty');
  return decodeImage(buf, path, opts);
}

export function greyToRgb(grey: Uint8Array): Uint8Array {
  const out = new Uint8Array(grey.length * 3);
  for (let i = 0, j = 0; i < grey.length; i++, j += 3) out[j] = out[j + 1] = out[j + 2] = grey[i];
  return out;
}

/**
 * Area-average resize of a grey image (exact box filter with fractional pixel coverage), in plain JS so
 * that the npz and PNG paths of Omniglot give identical bytes on any machine.
 */
export function resizeAreaGrey(src: Uint8Array, sw: number, sh: number, dw: number, dh: number): Uint8Array {
  if (sw === dw && sh === dh) return src.slice();
  const out = new Uint8Array(dw * dh);
  const fx = sw / dw;
  const fy = sh / dh;
  for (let oy = 0; oy < dh; oy++) {
    const y0 = oy * fy;
    const y1 = y0 + fy;
    for (let ox = 0; ox < dw; ox++) {
      const x0 = ox * fx;
      const x1 = x0 + fx;
      let acc = 0;
      for (let y = Math.floor(y0); y < Math.min(sh, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        let row = 0;
        for (let x = Math.floor(x0); x < Math.min(sw, Math.ceil(x1)); x++) {
          row += (Math.min(x + 1, x1) - Math.max(x, x0)) * src[y * sw + x];
        }
        acc += wy * row;
      }
      out[oy * dw + ox] = Math.round(acc / (fx * fy));
    }
  }
  return out;
}

/** Rotates a square HWC image counter-clockwise by `quarterTurns * 90` degrees (as numpy's rot90). */
export function rotateSquare(src: Uint8Array, size: number, channels: number, quarterTurns: number): Uint8Array {
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
