/**
 * Raster helpers for explanation images: RGB images, heat-map overlays aligned with the region geometry,
 * a colour bar, and a small canvas that lays out images and text as SVG and rasterises it with sharp.
 */
import { encodePng, sharp } from '../io/index.js';
import { colorize, viridis, type ColorRange } from './colormap.js';
import { upsampleRegionMap, type Box, type RegionGeometry } from '../model/index.js';

/** 8-bit RGB, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A dataset image (HWC uint8, 1 or 3 channels) as RGB. */
export function toRgb(pixels: Uint8Array, height: number, width: number, channels: number): RgbImage {
  if (pixels.length !== height * width * channels)
    throw new Error(`render: ${pixels.length} bytes for ${height}x${width}x${channels}`);
  if (channels === 3) return { width, height, data: pixels.slice() };
  const data = new Uint8Array(height * width * 3);
  for (let i = 0; i < height * width; i++) data.fill(pixels[i * channels], 3 * i, 3 * i + 3);
  return { width, height, data };
}

/** Nearest-neighbour resize (pixel art stays crisp: small images are magnified, never blurred). */
export function resizeNearest(img: RgbImage, width: number, height = width): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(img.height - 1, Math.floor(((y + 0.5) * img.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(img.width - 1, Math.floor(((x + 0.5) * img.width) / width));
      const s = 3 * (sy * img.width + sx);
      data.set(img.data.subarray(s, s + 3), 3 * (y * width + x));
    }
  }
  return { width, height, data };
}

/** Crops a pixel box. */
export function crop(img: RgbImage, box: Box): RgbImage {
  const w = box.width;
  const h = box.height;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const s = 3 * ((box.y + y) * img.width + box.x);
    data.set(img.data.subarray(s, s + 3 * w), 3 * y * w);
  }
  return { width: w, height: h, data };
}

/** A box magnified by `s` (corners rounded to pixels, so neighbouring tiles still meet). */
export function scaleBox(b: Box, s: number): Box {
  const x = Math.round(b.x * s);
  const y = Math.round(b.y * s);
  return { x, y, width: Math.round((b.x + b.width) * s) - x, height: Math.round((b.y + b.height) * s) - y };
}

/** Draws a rectangle outline (in image pixels) in place. */
export function drawBox(img: RgbImage, box: Box, color: [number, number, number], thickness = 1): void {
  const put = (x: number, y: number) => {
    if (x >= 0 && y >= 0 && x < img.width && y < img.height) img.data.set(color, 3 * (y * img.width + x));
  };
  const x1 = box.x + box.width;
  const y1 = box.y + box.height;
  for (let t = 0; t < thickness; t++) {
    for (let x = box.x; x < x1; x++) {
      put(x, box.y + t);
      put(x, y1 - 1 - t);
    }
    for (let y = box.y; y < y1; y++) {
      put(box.x + t, y);
      put(x1 - 1 - t, y);
    }
  }
}

export interface OverlayOptions {
  /** Output side in pixels (the image is magnified to it). */
  size: number;
  /** Opacity of the heat map over the (greyscale) image. */
  alpha?: number;
  /** Region tiles to outline (image-pixel boxes), e.g. a best match. */
  boxes?: Box[];
}

/**
 * A region map over an image: the map is upsampled with the receptive-field geometry (not stretched over
 * the image) and blended over a greyscale copy of the image, so the colours stay readable.
 */
export function heatOverlay(
  img: RgbImage,
  map: ArrayLike<number>,
  geom: RegionGeometry,
  range: ColorRange,
  opts: OverlayOptions,
): RgbImage {
  if (img.width !== geom.imageSize || img.height !== geom.imageSize)
    throw new Error(`render: image is ${img.width}x${img.height}, the model's ${geom.imageSize}`);
  const { size } = opts;
  const alpha = opts.alpha ?? 0.6;
  const base = resizeNearest(img, size);
  const heat = colorize(upsampleRegionMap(map, geom, size), range);
  const out = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    const g = 0.299 * base.data[3 * i] + 0.587 * base.data[3 * i + 1] + 0.114 * base.data[3 * i + 2];
    for (let c = 0; c < 3; c++) out[3 * i + c] = Math.round((1 - alpha) * g + alpha * heat[3 * i + c]);
  }
  const result = { width: size, height: size, data: out };
  const s = size / geom.imageSize;
  for (const b of opts.boxes ?? [])
    drawBox(result, scaleBox(b, s), [255, 64, 64], Math.max(1, Math.round(size / 64)));
  return result;
}

/** A horizontal colour bar, low values on the left. */
export function colorbar(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let x = 0; x < width; x++) {
    const c = viridis(x / Math.max(1, width - 1));
    for (let y = 0; y < height; y++) data.set(c, 3 * (y * width + x));
  }
  return { width, height, data };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export interface TextStyle {
  size?: number;
  anchor?: 'start' | 'middle' | 'end';
  bold?: boolean;
  color?: string;
}

/** Images and text laid out in pixels, rasterised to PNG (text through SVG, so any installed sans font). */
export class Canvas {
  private readonly parts: (string | { x: number; y: number; img: RgbImage })[] = [];

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly background = '#ffffff',
  ) {}

  image(x: number, y: number, img: RgbImage): this {
    this.parts.push({ x, y, img });
    return this;
  }

  text(x: number, y: number, s: string, style: TextStyle = {}): this {
    this.parts.push(
      `<text x="${x}" y="${y}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="${style.size ?? 12}" ` +
        `text-anchor="${style.anchor ?? 'start'}" font-weight="${style.bold ? 'bold' : 'normal'}" fill="${style.color ?? '#111'}">${escapeXml(s)}</text>`,
    );
    return this;
  }

  rect(x: number, y: number, w: number, h: number, stroke: string, fill = 'none', strokeWidth = 2): this {
    this.parts.push(
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${fill}" stroke="${stroke}" stroke-width="${strokeWidth}"/>`,
    );
    return this;
  }

  /** A horizontal colour legend: bar, min/max (and mid) values, caption. */
  legend(x: number, y: number, width: number, range: ColorRange, caption: string): this {
    this.image(x, y, colorbar(width, 12));
    const fmt = (v: number) => (Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : v.toPrecision(2));
    this.text(x, y + 26, fmt(range.min), { size: 11 });
    this.text(x + width / 2, y + 26, fmt((range.min + range.max) / 2), { size: 11, anchor: 'middle' });
    this.text(x + width, y + 26, fmt(range.max), { size: 11, anchor: 'end' });
    this.text(x + width / 2, y - 4, caption, { size: 11, anchor: 'middle' });
    return this;
  }

  async png(): Promise<Buffer> {
    const body = await Promise.all(
      this.parts.map(async (p) => {
        if (typeof p === 'string') return p;
        const b64 = (await encodePng(p.img)).toString('base64');
        return `<image x="${p.x}" y="${p.y}" width="${p.img.width}" height="${p.img.height}" href="data:image/png;base64,${b64}"/>`;
      }),
    );
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${this.width}" height="${this.height}">` +
      `<rect width="100%" height="100%" fill="${this.background}"/>${body.join('')}</svg>`;
    return sharp()(Buffer.from(svg), { limitInputPixels: false }).png().toBuffer();
  }
}
