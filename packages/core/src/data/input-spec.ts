/**
 * A checkpoint's input treatment as data: what its inputs went through (channels, resize, size,
 * normalisation), read from its metadata, and the check that an image looks like its training data. No
 * decoding here, so that the browser entry (`@rcn/core/browser`) shares it with the Node paths.
 */
import { normalizeInto } from './normalize.js';
import type { NormStats } from './types.js';

/**
 * How a dataset's images reach the model's size: `lanczos3` (sharp, stretched to a square; image folders,
 * mini-ImageNet layout) or `omniglot` (grey, decoded at Omniglot's 105 px, then area-averaged to the model
 * size, exactly as the Omniglot loader does).
 */
export type ResizeMode = 'lanczos3' | 'omniglot';

/** What the trainer records in a checkpoint (`extra.input`) about its inputs. */
export interface InputTreatment {
  channels: 1 | 3;
  resize: ResizeMode;
}

export interface InputSpec extends InputTreatment {
  size: number;
  normalization: NormStats;
}

/** Omniglot's stored image side: the `omniglot` treatment decodes at this size, then area-averages. */
export const OMNIGLOT_RAW = 105;

/** The fields of checkpoint metadata the input treatment is read from (structural: data/ needs no model/). */
export interface InputSpecSource {
  model: { imageSize?: number };
  normalization?: { mean: number[]; std: number[] };
  dataset?: string;
  extra?: Record<string, unknown>;
}

/**
 * THE conversion of a checkpoint's recorded normalisation to the statistics inputs are normalised with
 * (episodes, evaluations, predictions and uploads alike). A checkpoint without one is refused rather than
 * given some dataset's statistics: the wrong statistics shift every input and quietly cost accuracy.
 */
export function checkpointNormalization(meta: Pick<InputSpecSource, 'normalization'>): NormStats {
  const n = meta.normalization;
  const ok = (v: unknown): v is number[] =>
    Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!n || !ok(n.mean) || !ok(n.std) || n.std.some((x) => x <= 0))
    throw new Error(
      'normalisation: the checkpoint records no valid per-channel mean and std (three numbers each, std > 0)',
    );
  return { mean: [n.mean[0], n.mean[1], n.mean[2]], std: [n.std[0], n.std[1], n.std[2]] };
}

/**
 * A checkpoint's input treatment: `extra.input` where the trainer recorded it; for older checkpoints,
 * Omniglot's for a dataset named `omniglot*`, else RGB with lanczos3. Normalisation: the checkpoint's
 * (`checkpointNormalisation`).
 */
export function inputSpecOf(meta: InputSpecSource): InputSpec {
  const rec = meta.extra?.input as Partial<InputTreatment> | undefined;
  const omniglot = /(^|\/)omniglot[^/]*$/i.test(meta.dataset ?? '');
  const treatment: InputTreatment =
    rec &&
    (rec.channels === 1 || rec.channels === 3) &&
    (rec.resize === 'lanczos3' || rec.resize === 'omniglot')
      ? { channels: rec.channels, resize: rec.resize }
      : omniglot
        ? { channels: 1, resize: 'omniglot' }
        : { channels: 3, resize: 'lanczos3' };
  const size = meta.model.imageSize;
  if (!size) throw new Error('checkpoint metadata has no model.imageSize');
  return { ...treatment, size, normalization: checkpointNormalization(meta) };
}

/** Colour and brightness of one image, before channel conversion (for the domain check). */
export interface ImageStats {
  /** Mean of each channel over the image as the model sees it, in [0, 1]. */
  mean: [number, number, number];
  /** Mean absolute difference between the RGB channels of the original, in [0, 1] (0 = grey). */
  colourfulness: number;
}

/** Mean |R-G|, |G-B| of HWC pixels with `channels` channels, in [0, 1]; 0 for grey (one or two channels). */
export function colourfulnessOf(data: ArrayLike<number>, channels: number): number {
  if (channels < 3) return 0;
  let acc = 0;
  for (let i = 0; i < data.length; i += channels)
    acc += Math.abs(data[i] - data[i + 1]) + Math.abs(data[i + 1] - data[i + 2]);
  return acc / (2 * 255 * (data.length / channels));
}

/** Mean of each channel of HWC uint8 pixels in [0, 1]; grey's one mean is repeated for all three. */
export function channelMeans(pixels: Uint8Array, channels: 1 | 3): [number, number, number] {
  const mean: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < pixels.length; i++) mean[i % channels] += pixels[i];
  const n = pixels.length / channels;
  for (let k = 0; k < 3; k++) mean[k] = k < channels ? mean[k] / (255 * n) : mean[0];
  return mean;
}

export interface PreprocessedImage {
  /** `size x size x channels` uint8, what a dataset's `getImage` would return. */
  pixels: Uint8Array;
  stats: ImageStats;
}

/** Normalises preprocessed pixels into `out` at `offset` (HWC float32, 3 channels), as training batches are. */
export function normalizeImageInto(
  img: PreprocessedImage,
  spec: InputSpec,
  out: Float32Array,
  offset: number,
): void {
  normalizeInto(img.pixels, spec.size, spec.size, spec.channels, spec.normalization, out, offset);
}

/** Mean brightness further than this many of the training set's standard deviations is out of domain. */
export const DOMAIN_MEAN_Z = 3;
/** A grey-trained model given images more colourful than this (mean channel difference) is warned. */
export const DOMAIN_COLOUR = 0.04;

/**
 * Why an image looks unlike the checkpoint's training data, or null: colour given to a model trained on
 * grey images, or a mean brightness more than `DOMAIN_MEAN_Z` training standard deviations from the
 * training mean (e.g. white-on-black strokes to an Omniglot model, which saw black on white).
 */
export function domainWarning(stats: ImageStats, spec: InputSpec): string | null {
  const reasons: string[] = [];
  if (spec.channels === 1 && stats.colourfulness > DOMAIN_COLOUR)
    reasons.push(
      `a colour image (mean channel difference ${stats.colourfulness.toFixed(2)}) for a model trained on grey images`,
    );
  const z = [0, 1, 2].map((k) => (stats.mean[k] - spec.normalization.mean[k]) / spec.normalization.std[k]);
  const worst = z.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
  if (Math.abs(worst) > DOMAIN_MEAN_Z) {
    const inverted = [0, 1, 2].every(
      (k) =>
        Math.abs(1 - stats.mean[k] - spec.normalization.mean[k]) < DOMAIN_MEAN_Z * spec.normalization.std[k],
    );
    reasons.push(
      `mean brightness ${stats.mean[0].toFixed(2)} is ${Math.abs(worst).toFixed(1)} training standard deviations ` +
        `from the training mean ${spec.normalization.mean[0].toFixed(2)}${inverted ? ' (inverted colours?)' : ''}`,
    );
  }
  return reasons.length ? reasons.join('; ') : null;
}
