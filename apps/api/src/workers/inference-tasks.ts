/**
 * Worker-side inference (run by core's `WorkerPool`, one TensorFlow.js backend per thread): episode
 * predictions and predictions on uploads (core's `Predictor`), RAMs and prototypical parts (core's
 * `Explainer`, maps rendered with `heatOverlay` on the receptive-field geometry). Predictors and
 * explainers are kept per worker in LRU caches; a checkpoint is reloaded when its files change. No model
 * math here: core answers, this module only renders PNGs and shapes the transfer.
 */
import {
  Explainer,
  Predictor,
  crop,
  encodePng,
  resizeNearest,
  sampleEpisode,
  toRgb,
  type BackendInfo,
  type EpisodePrediction,
  type EpisodeSpec,
  type PartsResult,
  type PredictedEpisode,
  type TaskContext,
} from '@rcn/core';
import { geometryOf, type GridGeometry } from '../services/geometry.js';
import { cached, stampedCache } from './stamped-cache.js';
import { pairResult, type RamResult } from './pair-ram.js';
import { taskEpisodeTasks } from './task-episodes.js';

const predictors = stampedCache<Predictor>(4);
/** Core's explainers keep the last 4 explained episodes each (`maxRamPairs` bounds their size). */
const explainers = stampedCache<Explainer>(4);

function predictor(dir: string, dataDir: string): Promise<Predictor> {
  return cached(predictors, `${dir}\u0000${dataDir}`, dir, () => Predictor.open(dir, { dataDir }));
}

function explainer(dir: string, dataDir: string, dataset: string): Promise<Explainer> {
  return cached(explainers, [dir, dataDir, dataset].join('\u0000'), dir, () =>
    Explainer.open(dir, { dataDir, dataset, cacheSize: 4 }),
  );
}

export interface EpisodePayload {
  checkpointDir: string;
  dataDir: string;
  spec: EpisodeSpec;
}

/** An episode's prediction as core's Predictor gives it, with the geometry flattened for clients. */
export interface EpisodeResult extends PredictedEpisode {
  grid: GridGeometry | null;
}

export interface UploadResult extends EpisodePrediction {
  grid: GridGeometry | null;
}

export interface PartsPayload {
  checkpointDir: string;
  dataDir: string;
  dataset: string;
  split: string;
  classId: string;
  episodes: number;
  way: number;
  shot: number;
  query: number;
  seed: number;
  parts: number;
  patchesPerPart: number;
  topRegions: number;
}

export interface PartsTaskResult {
  result: PartsResult;
  geometry: GridGeometry;
  gallery: Uint8Array;
  /** [part][patch]: the patch, magnified. */
  patches: Uint8Array[][];
  seconds: number;
}

export interface UploadPayload {
  checkpointDir: string;
  dataDir: string;
  way: number;
  shot: number;
  /** HWC float32 treated as the checkpoint's `input` says (normalisation included), class-major supports. */
  support: Float32Array;
  queries: Float32Array;
  queryCount: number;
}

export const tasks = {
  ...taskEpisodeTasks,
  'backend.info': (_p: unknown, ctx: TaskContext): BackendInfo => ctx.backend,
  'episode.predict': async (p: EpisodePayload): Promise<EpisodeResult> => {
    const r = await (await predictor(p.checkpointDir, p.dataDir)).episode(p.spec);
    return { ...r, grid: r.geometry && geometryOf(r.geometry) };
  },
  'episode.ram': async (p: EpisodePayload & { query: number; support: number }): Promise<RamResult> => {
    const ex = await explainer(p.checkpointDir, p.dataDir, p.spec.dataset);
    const ds = await ex.context.openSplit(p.spec.split);
    return pairResult(await ex.episode(sampleEpisode(ds, p.spec)), p.query, p.support);
  },
  'parts.compute': async (p: PartsPayload): Promise<PartsTaskResult> => {
    const t0 = Date.now();
    const ex = await explainer(p.checkpointDir, p.dataDir, p.dataset);
    const { result, png } = await ex.parts(p.split, {
      classId: p.classId,
      episodes: p.episodes,
      way: p.way,
      shot: p.shot,
      query: p.query,
      seed: p.seed,
      parts: p.parts,
      patchesPerPart: p.patchesPerPart,
      topRegions: p.topRegions,
    });
    const ds = await ex.context.openSplit(p.split);
    const { height, width, channels } = ds.shape;
    const g = ex.context.geometry;
    const tile = g.imageSize * Math.max(1, Math.ceil(96 / g.imageSize));
    const patches = await Promise.all(
      result.parts.map((part) =>
        Promise.all(
          part.patches.map(async (patch) => {
            const img = toRgb(await ds.getImage(patch.imageId), height, width, channels);
            return encodePng(resizeNearest(crop(img, patch.box), tile));
          }),
        ),
      ),
    );
    return { result, geometry: geometryOf(g), gallery: png, patches, seconds: (Date.now() - t0) / 1000 };
  },
  'upload.predict': async (p: UploadPayload): Promise<UploadResult> => {
    const pr = await predictor(p.checkpointDir, p.dataDir);
    const s = pr.input.size;
    const r = await pr.predictArrays({
      way: p.way,
      shot: p.shot,
      query: p.queryCount / p.way,
      height: s,
      width: s,
      support: p.support,
      queries: p.queries,
      supportLabels: Int32Array.from({ length: p.way * p.shot }, (_, i) => Math.floor(i / p.shot)),
      queryLabels: new Int32Array(p.queryCount),
    });
    return { ...r, grid: r.geometry && geometryOf(r.geometry) };
  },
};
