import { sharp } from './sharp.js';

/** Raw 8-bit pixels, row-major HWC. */
export interface RawPixels {
  width: number;
  height: number;
  data: Uint8Array;
  /** Interleaved channels per pixel (default 3: RGB). */
  channels?: 1 | 3 | 4;
}

/** PNG bytes of raw pixels (grey, RGB or RGBA). The one PNG encoder of core, the CLI and the API. */
export async function encodePng(img: RawPixels): Promise<Buffer> {
  return sharp()(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: img.channels ?? 3 },
  })
    .png()
    .toBuffer();
}
