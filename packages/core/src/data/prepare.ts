/**
 * A checkpoint's input treatment for images that are already decoded (RGBA, as a browser canvas or
 * `ImageData` gives them): the browser's counterpart of `preprocessImage`, which decodes with sharp. The
 * steps are the same (grey or RGB, Omniglot's 105 px detour and area average, or a Lanczos-3 resize to the
 * model's size); the resize is our JavaScript Lanczos-3, not libvips', so a resized image can differ from
 * the server's by a few grey levels (README, "The model in the browser").
 */
import {
  channelMeans,
  colourfulnessOf,
  OMNIGLOT_RAW,
  type InputSpec,
  type PreprocessedImage,
} from './input-spec.js';
import { resizeAreaGrey, resizeLanczos3, rgbaToGrey, rgbaToRgb } from './pixels.js';

/** Decoded pixels: `width * height * 4` RGBA bytes, row-major (an `ImageData` fits). */
export interface RgbaImage {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

/** Side of the thumbnail the colourfulness is measured on (as `preprocessImage` measures it). */
const THUMB = 32;

function check(img: RgbaImage): void {
  if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * 4)
    throw new Error(`expected ${img.width}x${img.height} RGBA pixels, got ${img.data.length} bytes`);
}

/**
 * Any image through the checkpoint's treatment, as the server treats an uploaded file: for `omniglot`,
 * grey, brought to 105 px, then area-averaged to the model's size; otherwise grey or RGB resized to it
 * (an image already at that size passes unchanged).
 */
export function prepareImage(img: RgbaImage, spec: InputSpec): PreprocessedImage {
  check(img);
  const n = img.width * img.height;
  const rgb = rgbaToRgb(img.data, n);
  let pixels: Uint8Array;
  if (spec.resize === 'omniglot') {
    const raw = resizeLanczos3(rgbaToGrey(img.data, n), img.width, img.height, 1, OMNIGLOT_RAW, OMNIGLOT_RAW);
    pixels = resizeAreaGrey(raw, OMNIGLOT_RAW, OMNIGLOT_RAW, spec.size, spec.size);
  } else {
    const src = spec.channels === 1 ? rgbaToGrey(img.data, n) : rgb;
    pixels = resizeLanczos3(src, img.width, img.height, spec.channels, spec.size, spec.size);
  }
  const thumb = resizeLanczos3(rgb, img.width, img.height, 3, THUMB, THUMB);
  return {
    pixels,
    stats: { mean: channelMeans(pixels, spec.channels), colourfulness: colourfulnessOf(thumb, 3) },
  };
}

/**
 * An image of the checkpoint's own dataset, already at the model's size (as the API serves dataset
 * images): its pixels as the dataset loader gave them, with no resize, so that an episode computed in the
 * browser equals the server's. Throws for any other size.
 */
export function datasetImage(img: RgbaImage, spec: InputSpec): PreprocessedImage {
  check(img);
  if (img.width !== spec.size || img.height !== spec.size)
    throw new Error(
      `a dataset image of ${img.width}x${img.height}; the model takes ${spec.size}x${spec.size} (use prepareImage)`,
    );
  const n = img.width * img.height;
  const rgb = rgbaToRgb(img.data, n);
  const pixels = spec.channels === 1 ? rgbaToGrey(img.data, n) : rgb;
  return {
    pixels,
    stats: {
      mean: channelMeans(pixels, spec.channels),
      colourfulness: colourfulnessOf(resizeLanczos3(rgb, img.width, img.height, 3, THUMB, THUMB), 3),
    },
  };
}
