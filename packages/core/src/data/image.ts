/**
 * Image decoding (sharp) into HWC uint8; the pixel operations on typed arrays are in pixels.ts.
 */
import type { Sharp as SharpImage } from 'sharp';
import { readFile } from 'node:fs/promises';
import { DataError } from './errors.js';
import { decodeNetpbm, isNetpbm, sharp } from '../io/index.js';
import { greyToRgb } from './pixels.js';

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
