/**
 * Worker-side inference (run by core's `WorkerPool`, one TensorFlow.js backend per thread): episode
 * predictions, RAMs (core's explanation module: `Explainer`, maps rendered with `heatOverlay` on the
 * receptive-field geometry), prototypical parts, and predictions on uploaded images. Models, explainers
 * and datasets are kept per worker; a checkpoint is reloaded when its files change.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  arraysToTensors,
  buildEpisodeArrays,
  disposeOutput,
  loadCheckpoint,
  openDataset,
  sampleEpisode,
  type Episode,
  type EpisodeArrays,
  type EpisodeSpec,
  type FewShotDataset,
  type NormStats,
  type RCN,
  type CheckpointMetadata,
  type BackendInfo,
  type TaskContext,
  Explainer,
  crop,
  encodePng,
  regionGeometry,
  resizeNearest,
  toRgb,
  type ModelConfig,
  type PartsResult,
} from '@rcn/core';
import { geometryOf, type GridGeometry } from '../services/geometry.js';
import { cached, stampedCache } from './stamped-cache.js';
import { pairResult, taskEpisodeTasks } from './task-episodes.js';

interface Loaded {
  model: RCN;
  metadata: CheckpointMetadata;
  dispose(): void;
}

const models = stampedCache<Loaded>(4);
const datasets = new Map<string, Promise<FewShotDataset>>();

function model(dir: string): Promise<Loaded> {
  return cached(models, dir, dir, async () => {
    const { model: m, metadata } = await loadCheckpoint(dir);
    return { model: m, metadata, dispose: () => m.dispose() };
  });
}

function dataset(dataDir: string, name: string, split: string, imageSize: number): Promise<FewShotDataset> {
  const key = [dataDir, name, split, imageSize].join('\u0000');
  let ds = datasets.get(key);
  if (!ds) {
    ds = openDataset(name, split, { dataDir, imageSize });
    ds.catch(() => datasets.delete(key));
    datasets.set(key, ds);
  }
  return ds;
}

/**
 * Core's explainer for a checkpoint on a dataset (it keeps the last 4 explained episodes, so moving
 * between the supports of one query does not run the model again; `maxRamPairs` bounds their size).
 */
const explainers = stampedCache<Explainer>(4);

function explainer(dir: string, dataDir: string, datasetName: string): Promise<Explainer> {
  return cached(explainers, [dir, dataDir, datasetName].join('\u0000'), dir, () =>
    Explainer.open(dir, { dataDir, dataset: datasetName, cacheSize: 4 }),
  );
}

/** Grid geometry of a model, or null for models without a region grid (baselines). */
function safeGeometry(cfg: ModelConfig): GridGeometry | null {
  try {
    return geometryOf(regionGeometry(cfg));
  } catch {
    return null;
  }
}

function normOf(meta: CheckpointMetadata, fallback: NormStats): NormStats {
  const n = meta.normalisation;
  if (n && n.mean.length === 3 && n.std.length === 3) {
    return { mean: [n.mean[0], n.mean[1], n.mean[2]], std: [n.std[0], n.std[1], n.std[2]] };
  }
  return fallback;
}

export interface EpisodePayload {
  checkpointDir: string;
  dataDir: string;
  spec: EpisodeSpec;
}

export interface ForwardResult {
  /** [Q, N] */
  probs: Float32Array;
  /** [Q, S, R] */
  regionScores: Float32Array;
  /** [Q, S, R] */
  regionWeights: Float32Array;
  regions: number;
  /** Backbone feature-map side and input image side. */
  featureSize: [number, number];
  imageSize: number;
  /** Where the regions lie in the image (receptive-field geometry), null without a region grid. */
  geometry: GridGeometry | null;
}

export interface EpisodeResult extends ForwardResult {
  episode: Episode;
}

/** One (query, support) pair explained by core, with its images rendered as PNG bytes. */
export interface RamResult {
  episode: Episode;
  regions: number;
  imageSize: number;
  geometry: GridGeometry;
  /** [N] class probabilities of the query. */
  probabilities: number[];
  scores: number[];
  weights: number[];
  contributions: number[];
  /** Contributions credited to the query regions that gave them. */
  queryContributions: number[];
  /** For each support region, the query region it matched best. */
  bestMatch: number[];
  /** [R * R] row-major: cosine of support region k (row) and query region j (column). */
  similarity: Float32Array;
  /** The support's class score (mean over its shots) and this support's share of it, per region. */
  classScore: number;
  share: number[];
  png: {
    support: Uint8Array;
    query: Uint8Array;
    scores: Uint8Array;
    weights: Uint8Array;
    contributions: Uint8Array;
    queryContributions: Uint8Array;
    panel: Uint8Array;
  };
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

async function episodeArrays(
  p: EpisodePayload,
): Promise<{ loaded: Loaded; episode: Episode; arrays: EpisodeArrays }> {
  const loaded = await model(p.checkpointDir);
  const ds = await dataset(p.dataDir, p.spec.dataset, p.spec.split, loaded.model.config.imageSize);
  const episode = sampleEpisode(ds, p.spec);
  const arrays = await buildEpisodeArrays(ds, episode, {
    augmentQueries: false,
    normalization: normOf(loaded.metadata, ds.normalization),
  });
  return { loaded, episode, arrays };
}

/** Reads asynchronously: the webgpu backend cannot read synchronously under Node. */
async function forward(m: RCN, a: EpisodeArrays): Promise<ForwardResult> {
  const t = arraysToTensors(a);
  const out = m.forward(
    { support: t.support, query: t.query, way: a.way, shot: a.shot },
    { training: false, intermediates: false },
  );
  try {
    return {
      probs: (await out.probs.data()) as Float32Array,
      regionScores: (await out.regionScores!.data()) as Float32Array,
      regionWeights: (await out.regionWeights!.data()) as Float32Array,
      regions: out.regionScores!.shape[2],
      featureSize: m.featureMapSize(),
      imageSize: m.config.imageSize,
      geometry: safeGeometry(m.config),
    };
  } finally {
    disposeOutput(out);
    tf.dispose([t.support, t.query, t.supportLabels, t.queryLabels]);
  }
}

export interface UploadPayload {
  checkpointDir: string;
  way: number;
  shot: number;
  /** Normalised HWC float32, class-major supports. */
  support: Float32Array;
  queries: Float32Array;
  queryCount: number;
}

export const tasks = {
  ...taskEpisodeTasks,
  'backend.info': (_p: unknown, ctx: TaskContext): BackendInfo => ctx.backend,
  'episode.predict': async (p: EpisodePayload): Promise<EpisodeResult> => {
    const { loaded, episode, arrays } = await episodeArrays(p);
    return { episode, ...(await forward(loaded.model, arrays)) };
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
  'upload.predict': async (p: UploadPayload): Promise<ForwardResult> => {
    const { model: m } = await model(p.checkpointDir);
    const s = m.config.imageSize;
    const a: EpisodeArrays = {
      way: p.way,
      shot: p.shot,
      query: p.queryCount / p.way,
      height: s,
      width: s,
      support: p.support,
      queries: p.queries,
      supportLabels: Int32Array.from({ length: p.way * p.shot }, (_, i) => Math.floor(i / p.shot)),
      queryLabels: new Int32Array(p.queryCount),
    };
    return forward(m, a);
  },
};
