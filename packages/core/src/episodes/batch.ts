/**
 * From an episode to model inputs: images fetched (decoded once, cached as uint8), augmented if asked,
 * normalised into one Float32Array per set, then tensors created once:
 * supports [N*K, H, W, 3] class-major, queries [N*Q, H, W, 3], labels int32.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataError, type FewShotDataset, type NormStats, normalizeInto } from '../data/index.js';
import { augmentInto, REFERENCE_AUGMENT, type AugmentConfig } from './augment.js';
import { episodeRng, STREAM_AUGMENT, type Episode, type EpisodeImage } from './sampler.js';
import { arraysToTensors } from './tensors.js';

export interface BatchOptions {
  /**
   * Augmentation of the query images (supports are never augmented). Default: the reference
   * augmentation on split `train`, none otherwise. `true` = `REFERENCE_AUGMENT`.
   */
  augmentQueries?: boolean | AugmentConfig;
  /** Overrides the dataset's normalisation. */
  normalization?: NormStats;
}

/** The batch as typed arrays (HWC, 3 channels), e.g. to ship to a worker. */
export interface EpisodeArrays {
  way: number;
  shot: number;
  query: number;
  height: number;
  width: number;
  support: Float32Array;
  queries: Float32Array;
  supportLabels: Int32Array;
  queryLabels: Int32Array;
}

/**
 * An episode's tensors. Structurally a model `EpisodeBatch` (model/types.ts), so it can be passed to
 * `model.forward` directly; named apart to keep one export per name.
 */
export interface EpisodeTensorBatch {
  episode: Episode;
  /** N. */
  way: number;
  /** K. */
  shot: number;
  /** [N*K, H, W, 3], class-major. */
  support: tf.Tensor4D;
  /** [N*Q, H, W, 3]. */
  query: tf.Tensor4D;
  /** [N*K] int32. */
  supportLabels: tf.Tensor1D;
  /** [N*Q] int32. */
  queryLabels: tf.Tensor1D;
  dispose(): void;
}

function resolveAugment(opt: BatchOptions['augmentQueries'], split: string): AugmentConfig | null {
  if (opt === undefined) return split === 'train' ? REFERENCE_AUGMENT : null;
  if (opt === true) return REFERENCE_AUGMENT;
  return opt || null;
}

async function fetchImages(ds: FewShotDataset, imgs: EpisodeImage[]): Promise<Uint8Array[]> {
  const { height, width, channels } = ds.shape;
  const expected = height * width * channels;
  const out = await Promise.all(imgs.map((im) => ds.getImage(im.imageId)));
  out.forEach((px, i) => {
    if (px.length !== expected)
      throw new DataError(
        ds.root,
        `image '${imgs[i].imageId}' has ${px.length} bytes, expected ${height}x${width}x${channels}`,
      );
  });
  return out;
}

export async function buildEpisodeArrays(
  ds: FewShotDataset,
  ep: Episode,
  opts: BatchOptions = {},
): Promise<EpisodeArrays> {
  const { height: h, width: w, channels } = ds.shape;
  const norm = opts.normalization ?? ds.normalization;
  const aug = resolveAugment(opts.augmentQueries, ep.spec.split);
  const [sImgs, qImgs] = await Promise.all([fetchImages(ds, ep.support), fetchImages(ds, ep.query)]);
  const per = h * w * 3;
  const support = new Float32Array(sImgs.length * per);
  sImgs.forEach((px, i) => normalizeInto(px, h, w, channels, norm, support, i * per));
  const queries = new Float32Array(qImgs.length * per);
  if (aug) {
    const rng = episodeRng(ep.spec, STREAM_AUGMENT);
    const scratch = new Float32Array(h * w * channels);
    qImgs.forEach((px, i) => augmentInto(px, h, w, channels, norm, aug, rng, queries, i * per, scratch));
  } else {
    qImgs.forEach((px, i) => normalizeInto(px, h, w, channels, norm, queries, i * per));
  }
  return {
    way: ep.spec.way,
    shot: ep.spec.shot,
    query: ep.spec.query,
    height: h,
    width: w,
    support,
    queries,
    supportLabels: Int32Array.from(ep.support, (s) => s.label),
    queryLabels: Int32Array.from(ep.query, (q) => q.label),
  };
}

export async function buildEpisodeBatch(
  ds: FewShotDataset,
  ep: Episode,
  opts: BatchOptions = {},
): Promise<EpisodeTensorBatch> {
  const t = arraysToTensors(await buildEpisodeArrays(ds, ep, opts));
  return {
    episode: ep,
    way: ep.spec.way,
    shot: ep.spec.shot,
    ...t,
    dispose: () => tf.dispose([t.support, t.query, t.supportLabels, t.queryLabels]),
  };
}
