/**
 * A checkpoint's input treatment applied to arbitrary image files (CLI `predict`, API uploads): the same
 * decode, channel conversion, resize and normalisation its training data went through, and a check that
 * the images look like that data at all.
 */
import { readFile } from 'node:fs/promises';
import { decodeNetpbm, isNetpbm } from '../io/index.js';
import { DataError } from './errors.js';
import { decodeImage, sharpInput } from './image.js';
import {
  channelMeans,
  colourfulnessOf,
  DOMAIN_COLOUR,
  OMNIGLOT_RAW,
  type InputSpec,
  type PreprocessedImage,
} from './input-spec.js';
import { resizeAreaGrey } from './pixels.js';

export interface PreprocessOptions {
  /** Refuse images with more pixels than this while decoding (decompression bombs). */
  maxPixels?: number;
}

/** Mean |R-G|, |G-B| over a small RGB thumbnail of the original. */
async function colourfulness(bytes: Uint8Array, opts: PreprocessOptions): Promise<number> {
  const input = sharpInput(bytes, opts.maxPixels);
  const { data, info } = await input
    .resize(32, 32, { fit: 'fill' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return colourfulnessOf(data, info.channels);
}

/**
 * Whether an image file is grey (its channels differ by at most `DOMAIN_COLOUR` on average): which kind of
 * model fits it when the user names none.
 */
export async function isGreyImageFile(path: string, opts: PreprocessOptions = {}): Promise<boolean> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new DataError(path, `cannot read (${(e as Error).message})`);
  }
  if (isNetpbm(bytes)) return decodeNetpbm(bytes).channels === 1;
  return (await colourfulness(bytes, opts)) <= DOMAIN_COLOUR;
}

/** Decodes encoded bytes (any format `decodeImage` reads) with the checkpoint's treatment. */
export async function preprocessImage(
  bytes: Uint8Array,
  source: string,
  spec: InputSpec,
  opts: PreprocessOptions = {},
): Promise<PreprocessedImage> {
  const pixels =
    spec.resize === 'omniglot'
      ? resizeAreaGrey(
          await decodeImage(bytes, source, { size: OMNIGLOT_RAW, channels: 1, maxPixels: opts.maxPixels }),
          OMNIGLOT_RAW,
          OMNIGLOT_RAW,
          spec.size,
          spec.size,
        )
      : await decodeImage(bytes, source, {
          size: spec.size,
          channels: spec.channels,
          maxPixels: opts.maxPixels,
        });
  let colour: number;
  try {
    colour = await colourfulness(bytes, opts);
  } catch (e) {
    throw new DataError(source, `cannot decode image (${(e as Error).message})`);
  }
  return { pixels, stats: { mean: channelMeans(pixels, spec.channels), colourfulness: colour } };
}

/** Reads a file and preprocesses it; a missing file is a DataError naming it. */
export async function preprocessImageFile(
  path: string,
  spec: InputSpec,
  opts: PreprocessOptions = {},
): Promise<PreprocessedImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new DataError(
      path,
      `cannot read image (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return preprocessImage(bytes, path, spec, opts);
}
