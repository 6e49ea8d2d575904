/**
 * Uploaded images (base64 PNG / JPEG / WebP / PGM) to normalised model inputs: size checked before decoding,
 * pixel count bounded while decoding, then treated as the checkpoint's training images were (its `input`
 * from core's `describeCheckpoint`: no fallback statistics).
 */
import { normalizeImageInto, preprocessImage, type InputSpec, type PreprocessedImage } from '@rcn/core';
import type { Limits } from '../config.js';
import { ErrorCode, apiError, badInput, limitExceeded } from '../graphql/errors.js';

const DATA_URL = /^data:image\/[a-z0-9.+-]+;base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Images larger than this are refused while decoding (decompression bombs). */
const MAX_PIXELS = 4096 * 4096;

export function decodeBase64(data: string, field: string, limits: Limits): Buffer {
  const body = data.replace(DATA_URL, '').replace(/\s+/g, '');
  // Checked before decoding: 4 base64 characters carry 3 bytes.
  if (Math.floor((body.length * 3) / 4) > limits.maxUploadImageBytes) {
    throw apiError(
      ErrorCode.PAYLOAD_TOO_LARGE,
      `${field}: image is over the limit of ${limits.maxUploadImageBytes} bytes`,
      { field, limit: limits.maxUploadImageBytes },
    );
  }
  if (!body || body.length % 4 !== 0 || !BASE64.test(body))
    throw badInput(`${field}: not base64 image data`, field);
  return Buffer.from(body, 'base64');
}

/**
 * Decodes one image with the checkpoint's input treatment (core's `preprocessImage`, the same function
 * as `rcn predict`: channels, resize and normalisation as in training) into `out` at `offset`.
 */
export async function imageInto(
  bytes: Buffer,
  field: string,
  spec: InputSpec,
  out: Float32Array,
  offset: number,
): Promise<void> {
  let img: PreprocessedImage;
  try {
    img = await preprocessImage(bytes, field, spec, { maxPixels: MAX_PIXELS });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/pixel limit/i.test(msg))
      throw limitExceeded(`${field}: image has more than ${MAX_PIXELS} pixels`, field, MAX_PIXELS);
    throw badInput(`${msg}; send PNG, JPEG, WebP or PGM/PPM`, field);
  }
  normalizeImageInto(img, spec, out, offset);
}
