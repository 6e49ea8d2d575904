/** An episode explained: the model's RAM numbers plus the images they refer to. */
import type { FewShotDataset } from '../data/types.js';
import { buildEpisodeArrays } from '../episodes/batch.js';
import { sampleEpisode, type Episode } from '../episodes/sampler.js';
import { parseEpisodeId } from '../episodes/spec.js';
import type { RCN } from '../model/rcn.js';
import { arraysToBatch } from '../train/weights.js';
import { regionGeometry, type RegionGeometry } from './geometry.js';
import { computeEpisodeRam, predictions, type EpisodeRam } from './ram.js';
import { toRgb, type RgbImage } from './render.js';

export interface EpisodeExplanation {
  episode: Episode;
  ram: EpisodeRam;
  geometry: RegionGeometry;
  /** Predicted class per query. */
  predictions: number[];
  /** The images as shown (dataset pixels, not normalised), class-major like the episode. */
  supportImages: RgbImage[];
  queryImages: RgbImage[];
}

/** Dataset pixels of episode images as RGB. */
export async function episodeImages(
  ds: FewShotDataset,
  ids: readonly { imageId: string }[],
): Promise<RgbImage[]> {
  const { height, width, channels } = ds.shape;
  return Promise.all(ids.map(async (im) => toRgb(await ds.getImage(im.imageId), height, width, channels)));
}

/**
 * Runs `model` on an episode (an id `dataset:split:way:shot:query:seed:index` or a sampled episode), without
 * augmentation, and gathers its maps.
 */
export async function explainEpisode(
  model: RCN,
  ds: FewShotDataset,
  episode: string | Episode,
  opts: { supportFeatures?: boolean } = {},
): Promise<EpisodeExplanation> {
  const ep = typeof episode === 'string' ? sampleEpisode(ds, parseEpisodeId(episode)) : episode;
  if (ds.shape.height !== model.config.imageSize)
    throw new Error(
      `explain: dataset images are ${ds.shape.height} px, the model expects ${model.config.imageSize}`,
    );
  const arrays = await buildEpisodeArrays(ds, ep, { augmentQueries: false });
  const batch = arraysToBatch(arrays);
  let ram: EpisodeRam;
  try {
    ram = computeEpisodeRam(model, batch, {
      supportFeatures: opts.supportFeatures,
      labels: arrays.queryLabels,
    });
  } finally {
    batch.dispose();
  }
  const [supportImages, queryImages] = await Promise.all([
    episodeImages(ds, ep.support),
    episodeImages(ds, ep.query),
  ]);
  return {
    episode: ep,
    ram,
    geometry: regionGeometry(model.config),
    predictions: predictions(ram),
    supportImages,
    queryImages,
  };
}
