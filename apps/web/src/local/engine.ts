/**
 * The model on this device: core's browser entry (`@rcn/core/browser`) started once per page, checkpoints
 * fetched and kept by URL, images decoded by the browser and treated as the checkpoint's training images
 * were, and episodes run with their Region Activation Maps. Nothing here sends an image anywhere: images
 * are decoded from the user's files in memory, and dataset images are only downloaded.
 */
import {
  datasetImage,
  fetchCheckpoint,
  imagesToArrays,
  initBrowserBackend,
  prepareImage,
  PromiseCache,
  explainEpisodeArrays,
  runEpisode,
  type BrowserBackendInfo,
  type EpisodePrediction,
  type EpisodeRam,
  type FetchedCheckpoint,
  type PreprocessedImage,
  type RgbaImage,
} from '@rcn/core/browser';

/** Where the page serves tfjs-backend-wasm's binaries (`public/tfjs/` in the dashboard, `tfjs/` in a demo). */
export const WASM_DIR = 'tfjs/';

/** An image for an episode: a user's file, or a dataset image (already at the dataset's size). */
export interface EpisodeImage {
  name: string;
  /** What the page shows (an object URL of the file, or the dataset image's URL). */
  src: string;
  /** Decoded pixels. */
  pixels: RgbaImage;
  /** A dataset image is taken as the dataset loader gave it when it is at the model's size. */
  fromDataset: boolean;
}

export interface EpisodeTimings {
  /** Treating the images (decode excluded: done when they were added). */
  prepareMs: number;
  /** The forward pass and the maps, read back. */
  runMs: number;
}

export interface LocalAnswer {
  prediction: EpisodePrediction;
  /** The maps' numbers (an RCN), else null. */
  ram: EpisodeRam | null;
  timings: EpisodeTimings;
}

/** Larger images are brought to this side by the browser before the checkpoint's treatment (memory, time). */
const MAX_SIDE = 1024;

let backend: Promise<BrowserBackendInfo> | null = null;

/**
 * Starts the backend once per page (`auto`: WebGPU on a real GPU adapter, else wasm SIMD); `ourKernels`
 * false keeps wasm on TF.js's stock kernels (to measure what ours bring).
 */
export function startBackend(
  choice: 'auto' | 'webgpu' | 'wasm',
  base: string,
  ourKernels = true,
): Promise<BrowserBackendInfo> {
  backend ??= initBrowserBackend({ backend: choice, wasmPaths: new URL(WASM_DIR, base).href, ourKernels });
  return backend;
}

const models = new PromiseCache<string, FetchedCheckpoint>({
  onEvict: (p) => void p.then((ck) => ck.dispose()).catch(() => undefined),
});

/** The checkpoint folder at `url`, fetched once; the one kept before is released. */
export function loadModel(url: string): Promise<FetchedCheckpoint> {
  models.keepOnly(url);
  return models.get(url, () => fetchCheckpoint(url));
}

/** Decodes an image (a file, or what a URL serves) to RGBA, in this browser, with no colour management. */
export async function decodeImage(source: Blob): Promise<RgbaImage> {
  const opts: ImageBitmapOptions = { colorSpaceConversion: 'none', premultiplyAlpha: 'none' };
  let bitmap = await createImageBitmap(source, opts);
  const side = Math.max(bitmap.width, bitmap.height);
  if (side > MAX_SIDE) {
    const scale = MAX_SIDE / side;
    const w = Math.max(1, Math.round(bitmap.width * scale));
    const h = Math.max(1, Math.round(bitmap.height * scale));
    const smaller = await createImageBitmap(bitmap, {
      ...opts,
      resizeWidth: w,
      resizeHeight: h,
      resizeQuality: 'high',
    });
    bitmap.close();
    bitmap = smaller;
  }
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('this browser cannot decode images into a canvas');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
  return { width, height, data };
}

/** A user's file as an episode image (decoded here; the file never leaves the browser). */
export async function fileImage(file: File): Promise<EpisodeImage> {
  return {
    name: file.name,
    src: URL.createObjectURL(file),
    pixels: await decodeImage(file),
    fromDataset: false,
  };
}

/** A dataset image the server (or a static folder) serves, downloaded and decoded here. */
export async function datasetUrlImage(url: string, name: string): Promise<EpisodeImage> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return { name, src: url, pixels: await decodeImage(await res.blob()), fromDataset: true };
}

function treat(ck: FetchedCheckpoint, im: EpisodeImage): PreprocessedImage {
  const atSize = im.pixels.width === ck.input.size && im.pixels.height === ck.input.size;
  return im.fromDataset && atSize ? datasetImage(im.pixels, ck.input) : prepareImage(im.pixels, ck.input);
}

/**
 * Classifies `queries` against `supports` (one list per class, the same number each) on this device,
 * with the maps for an RCN.
 */
export async function classify(
  ck: FetchedCheckpoint,
  supports: readonly (readonly EpisodeImage[])[],
  queries: readonly EpisodeImage[],
  queryLabels: readonly number[],
): Promise<LocalAnswer & { prepared: { supports: PreprocessedImage[][]; queries: PreprocessedImage[] } }> {
  const t0 = performance.now();
  const s = supports.map((c) => c.map((im) => treat(ck, im)));
  const q = queries.map((im) => treat(ck, im));
  const arrays = imagesToArrays(ck.input, s, q, queryLabels);
  const t1 = performance.now();
  const { prediction, ram } =
    ck.method === 'rcn'
      ? await explainEpisodeArrays(ck, arrays)
      : { prediction: await runEpisode(ck, arrays), ram: null };
  const t2 = performance.now();
  return {
    prediction,
    ram,
    timings: { prepareMs: t1 - t0, runMs: t2 - t1 },
    prepared: { supports: s, queries: q },
  };
}
