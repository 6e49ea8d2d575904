/**
 * Classifies a user's query images against a user's support images with a trained checkpoint: every
 * image gets the checkpoint's input treatment (`inputSpecOf`) and is checked against the training domain.
 * The queries go through the model in chunks; a caller may run each chunk its own way (explain/files.ts
 * computes the Region Activation Maps from the same pass).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  domainWarning,
  normalizeImageInto,
  preprocessImageFile,
  type InputSpec,
  type PreprocessedImage,
} from '../data/index.js';
import type { EpisodeBatch, FewShotModel } from '../model/index.js';
import { displayName, type LabelledFile, type SupportSet } from './files.js';

/** Queries per forward pass: an episode's worth (5 x 15), so BatchNorm batch statistics see the usual mix. */
export const PREDICT_CHUNK = 75;

export interface QueryPrediction {
  file: string;
  trueLabel: string | null;
  predicted: string;
  /** Per class, in `classes` order. */
  probabilities: number[];
  correct: boolean | null;
  /** Why this image looks unlike the training data, or null. */
  warning: string | null;
}

export interface PredictResult {
  classes: string[];
  shot: number;
  spec: InputSpec;
  queries: QueryPrediction[];
  /** Support images that look unlike the training data. */
  supportWarnings: { file: string; warning: string }[];
  /** Over the queries with a known class; null when none has one. */
  accuracy: number | null;
}

/** One chunk of queries as a pass sees it. */
export interface QueryChunk {
  /** Index of its first query among all. */
  first: number;
  files: readonly LabelledFile[];
  /** Each query's class index among the supports', -1 where unknown. */
  labels: number[];
  images: PreprocessedImage[];
  /** The supports' images, the same for every chunk. */
  supportImages: PreprocessedImage[];
}

/** Runs one chunk through the model; answers its probabilities [queries, way], row-major. */
export type ChunkPass = (batch: EpisodeBatch, chunk: QueryChunk) => Promise<Float32Array>;

export interface PredictOptions {
  /** Queries per forward pass (default PREDICT_CHUNK). */
  chunk?: number;
  /** How a chunk runs (default: the model's forward pass). */
  pass?: ChunkPass;
}

/** A plain forward pass's probabilities. */
async function forwardPass(model: FewShotModel, batch: EpisodeBatch): Promise<Float32Array> {
  const o = model.forward(batch, { training: false });
  try {
    return (await o.probs.data()) as Float32Array;
  } finally {
    for (const t of Object.values(o) as (tf.Tensor | undefined)[]) t?.dispose();
  }
}

function argmax(a: ArrayLike<number>, off: number, n: number): number {
  let b = 0;
  for (let i = 1; i < n; i++) if (a[off + i] > a[off + b]) b = i;
  return b;
}

export async function predictFiles(
  model: FewShotModel,
  spec: InputSpec,
  support: SupportSet,
  queries: readonly LabelledFile[],
  opts: PredictOptions = {},
): Promise<PredictResult> {
  if (spec.size !== model.config.imageSize)
    throw new Error(`input size ${spec.size} does not match the model's ${model.config.imageSize}`);
  const way = support.classes.length;
  const per = spec.size * spec.size * 3;
  const sImgs = await Promise.all(support.files.map((f) => preprocessImageFile(f.path, spec)));
  const sArr = new Float32Array(sImgs.length * per);
  sImgs.forEach((im, i) => normalizeImageInto(im, spec, sArr, i * per));
  const supportWarnings = sImgs.flatMap((im, i) => {
    const w = domainWarning(im.stats, spec);
    return w ? [{ file: support.files[i].path, warning: w }] : [];
  });
  const out: QueryPrediction[] = [];
  const chunk = Math.max(1, opts.chunk ?? PREDICT_CHUNK);
  const pass = opts.pass ?? ((batch) => forwardPass(model, batch));
  const sT = tf.tensor4d(sArr, [sImgs.length, spec.size, spec.size, 3]);
  try {
    for (let first = 0; first < queries.length; first += chunk) {
      const part = queries.slice(first, first + chunk);
      const qImgs = await Promise.all(part.map((f) => preprocessImageFile(f.path, spec)));
      const qArr = new Float32Array(qImgs.length * per);
      qImgs.forEach((im, i) => normalizeImageInto(im, spec, qArr, i * per));
      const qT = tf.tensor4d(qArr, [qImgs.length, spec.size, spec.size, 3]);
      const labels = part.map((f) => (f.label === null ? -1 : support.classes.indexOf(f.label)));
      let probs: Float32Array;
      try {
        probs = await pass(
          { support: sT, query: qT, way, shot: support.shot },
          { first, files: part, labels, images: qImgs, supportImages: sImgs },
        );
      } finally {
        qT.dispose();
      }
      part.forEach((f, i) => {
        const p = argmax(probs, i * way, way);
        out.push({
          file: f.path,
          trueLabel: f.label,
          predicted: support.classes[p],
          probabilities: Array.from(probs.subarray(i * way, (i + 1) * way)),
          correct: labels[i] >= 0 ? p === labels[i] : f.label === null ? null : false,
          warning: domainWarning(qImgs[i].stats, spec),
        });
      });
    }
  } finally {
    sT.dispose();
  }
  const judged = out.filter((q) => q.correct !== null);
  return {
    classes: support.classes,
    shot: support.shot,
    spec,
    queries: out,
    supportWarnings,
    accuracy: judged.length ? judged.filter((q) => q.correct).length / judged.length : null,
  };
}

/** One line per query: file, predicted class and its probability, the true class when known, warning. */
export function formatPredictions(r: PredictResult): string {
  const lines = r.queries.map((q) => {
    const p = r.classes.indexOf(q.predicted);
    const truth = q.trueLabel === null ? '' : q.correct ? '  (right)' : `  (wrong, true: ${q.trueLabel})`;
    return `${displayName({ path: q.file, label: q.trueLabel })}: ${q.predicted} ${(100 * q.probabilities[p]).toFixed(1)}%${truth}${q.warning ? `  [warning: ${q.warning}]` : ''}`;
  });
  if (r.accuracy !== null)
    lines.push(
      `accuracy ${(100 * r.accuracy).toFixed(1)}% on ${r.queries.filter((q) => q.correct !== null).length} labelled queries`,
    );
  return lines.join('\n');
}
