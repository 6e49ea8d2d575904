/**
 * PNG output: dataset images, and region maps rendered as heat maps over the image they explain. Rendered
 * files are content-addressed (`/files/<sha256>.png`), stored once in the cache folder and served immutable.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

export interface RawImage {
  /** HWC uint8. */
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

export async function encodePng(img: RawImage): Promise<Buffer> {
  return sharp(Buffer.from(img.pixels.buffer, img.pixels.byteOffset, img.pixels.byteLength), {
    raw: { width: img.width, height: img.height, channels: img.channels },
  })
    .png({ compressionLevel: 6 })
    .toBuffer();
}

// A few stops of the 'inferno' colour map: dark = low, bright yellow = high.
const STOPS: [number, number, number][] = [
  [0, 0, 4],
  [87, 16, 110],
  [188, 55, 84],
  [249, 142, 9],
  [252, 255, 164],
];

function colour(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [0, 1, 2].map((c) => Math.round(a[c] + f * (b[c] - a[c]))) as [number, number, number];
}

/**
 * `values` (rows x cols, row-major) normalised to [min, max] and drawn over `base`, each region a block of
 * the image (regions are a grid over the feature map, which covers the image).
 */
export function heatmapOverlay(
  base: RawImage,
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  alpha = 0.6,
): RawImage {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  const span = hi - lo > 1e-12 ? hi - lo : 1;
  const { width: w, height: h } = base;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const r = Math.min(rows - 1, Math.floor((y * rows) / h));
    for (let x = 0; x < w; x++) {
      const c = Math.min(cols - 1, Math.floor((x * cols) / w));
      const rgb = colour((values[r * cols + c] - lo) / span);
      const src = (y * w + x) * base.channels;
      for (let k = 0; k < 3; k++) {
        const px = base.pixels[src + (base.channels === 3 ? k : 0)];
        out[(y * w + x) * 3 + k] = Math.round((1 - alpha) * px + alpha * rgb[k]);
      }
    }
  }
  return { pixels: out, width: w, height: h, channels: 3 };
}

/** Nearest-neighbour upscale so that 32-pixel maps are visible in a browser without smoothing. */
export function upscale(img: RawImage, factor: number): RawImage {
  if (factor <= 1) return img;
  const w = img.width * factor;
  const h = img.height * factor;
  const ch = img.channels;
  const out = new Uint8Array(w * h * ch);
  for (let y = 0; y < h; y++) {
    const sy = Math.floor(y / factor);
    for (let x = 0; x < w; x++) {
      const s = (sy * img.width + Math.floor(x / factor)) * ch;
      out.set(img.pixels.subarray(s, s + ch), (y * w + x) * ch);
    }
  }
  return { pixels: out, width: w, height: h, channels: img.channels };
}

export const FILE_NAME = /^([0-9a-f]{64})\.png$/;

/** Writes content-addressed PNGs into `dir`; the returned URL never changes meaning. */
export class PngStore {
  constructor(readonly dir: string) {}

  async put(png: Buffer): Promise<string> {
    const sha = createHash('sha256').update(png).digest('hex');
    const path = join(this.dir, `${sha}.png`);
    if (!existsSync(path)) {
      await mkdir(this.dir, { recursive: true });
      const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(tmp, png);
      await rename(tmp, path);
    }
    return `/files/${sha}.png`;
  }

  /** Path of a stored file by its URL name, or null (names are checked, so no path escapes the folder). */
  path(name: string): string | null {
    const m = FILE_NAME.exec(name);
    return m ? join(this.dir, `${m[1]}.png`) : null;
  }
}
