/**
 * Worker-side inference (run by core's `WorkerPool`, one TensorFlow.js backend per thread): episode
 * predictions, the per-pair data behind a RAM, and predictions on uploaded images. Models and datasets are
 * kept per worker; a checkpoint is reloaded when its files change.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  arraysToTensors,
  buildEpisodeArrays,
  disposeOutput,
  l2Normalize,
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
} from '@rcn/core';

interface Loaded {
  stamp: string;
  model: RCN;
  metadata: CheckpointMetadata;
}

const MAX_MODELS = 4;
const models = new Map<string, Loaded>();
const datasets = new Map<string, Promise<FewShotDataset>>();

function stampOf(dir: string): string {
  const s = statSync(join(dir, 'weights.bin'));
  return `${s.mtimeMs}:${s.size}`;
}

async function model(dir: string): Promise<Loaded> {
  const stamp = stampOf(dir);
  const hit = models.get(dir);
  if (hit && hit.stamp === stamp) {
    // Refresh LRU order.
    models.delete(dir);
    models.set(dir, hit);
    return hit;
  }
  hit?.model.dispose();
  models.delete(dir);
  const { model: m, metadata } = await loadCheckpoint(dir);
  const loaded = { stamp, model: m, metadata };
  models.set(dir, loaded);
  while (models.size > MAX_MODELS) {
    const [oldest, v] = models.entries().next().value as [string, Loaded];
    v.model.dispose();
    models.delete(oldest);
  }
  return loaded;
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
}

export interface EpisodeResult extends ForwardResult {
  episode: Episode;
}

export interface RamResult extends EpisodeResult {
  /** [R, R]: cosine of support region k (row) and query region j (column). */
  similarity: Float32Array;
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

function forward(
  m: RCN,
  a: EpisodeArrays,
  pair?: { query: number; support: number },
): ForwardResult & { similarity?: Float32Array } {
  const t = arraysToTensors(a);
  const out = m.forward(
    { support: t.support, query: t.query, way: a.way, shot: a.shot },
    { training: false, intermediates: !!pair },
  );
  try {
    let similarity: Float32Array | undefined;
    if (pair) {
      similarity = tf
        .tidy(() => {
          const s = l2Normalize(tf.gather(out.supportRegions!, pair.support));
          const q = l2Normalize(tf.gather(out.queryRegions!, pair.query));
          return tf.matMul(s as tf.Tensor2D, q as tf.Tensor2D, false, true);
        })
        .dataSync() as Float32Array;
    }
    return {
      probs: out.probs.dataSync() as Float32Array,
      regionScores: out.regionScores!.dataSync() as Float32Array,
      regionWeights: out.regionWeights!.dataSync() as Float32Array,
      regions: out.regionScores!.shape[2],
      featureSize: m.featureMapSize(),
      imageSize: m.config.imageSize,
      similarity,
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
  'backend.info': (_p: unknown, ctx: TaskContext): BackendInfo => ctx.backend,
  'episode.predict': async (p: EpisodePayload): Promise<EpisodeResult> => {
    const { loaded, episode, arrays } = await episodeArrays(p);
    return { episode, ...forward(loaded.model, arrays) };
  },
  'episode.ram': async (p: EpisodePayload & { query: number; support: number }): Promise<RamResult> => {
    const { loaded, episode, arrays } = await episodeArrays(p);
    const r = forward(loaded.model, arrays, { query: p.query, support: p.support });
    return { episode, ...r, similarity: r.similarity! };
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
