/** An episode explained: the model's RAM numbers plus the images they refer to. */
import type { FewShotDataset } from '../data/index.js';
import {
  buildEpisodeArrays,
  sampleEpisode,
  type Episode,
  parseEpisodeId,
  arraysToBatch,
} from '../episodes/index.js';
import { type RCN, regionGeometry, type RegionGeometry } from '../model/index.js';
import { classRam, computeEpisodeRam, predictions, type ClassRam, type EpisodeRam } from './ram.js';
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
    ram = await computeEpisodeRam(model, batch, {
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

/** An explained episode as plain JSON (what the CLI writes and the API can serve). */
export interface EpisodeExplanationJson {
  episode: Episode;
  way: number;
  shot: number;
  regions: number;
  grid: [number, number];
  /** Region placement in image pixels (see geometry.ts). */
  geometry: {
    imageSize: number;
    rowCentres: number[];
    colCentres: number[];
    rowTiles: [number, number][];
    colTiles: [number, number][];
    receptiveField: number;
  };
  predictions: number[];
  labels: number[] | null;
  /** Per query: probabilities and the RAM against every class (all shots). */
  queries: { query: number; probs: number[]; classes: ClassRam[] }[];
}

export function explanationJson(x: EpisodeExplanation): EpisodeExplanationJson {
  const { ram } = x;
  return {
    episode: x.episode,
    way: ram.way,
    shot: ram.shot,
    regions: ram.regions,
    grid: [x.geometry.gridH, x.geometry.gridW],
    geometry: {
      imageSize: x.geometry.imageSize,
      rowCentres: x.geometry.rows.centres,
      colCentres: x.geometry.cols.centres,
      rowTiles: x.geometry.rows.tiles,
      colTiles: x.geometry.cols.tiles,
      receptiveField: x.geometry.cells.rf,
    },
    predictions: x.predictions,
    labels: ram.labels ? Array.from(ram.labels) : null,
    queries: Array.from({ length: ram.queries }, (_v, q) => ({
      query: q,
      probs: Array.from(ram.probs.subarray(q * ram.way, (q + 1) * ram.way)),
      classes: Array.from({ length: ram.way }, (_w, c) => classRam(ram, q, c)),
    })),
  };
}
