/**
 * Classifies a user's query images against a user's support images with a trained checkpoint: every
 * image gets the checkpoint's input treatment (`inputSpecOf`), each is checked against the training
 * domain, and for an RCN the Region Activation Maps come with the answer when asked.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  domainWarning,
  normalizeImageInto,
  preprocessImageFile,
  type InputSpec,
  type PreprocessedImage,
} from '../data/index.js';
import type { Episode } from '../episodes/index.js';
import {
  type EpisodeExplanation,
  computeEpisodeRam,
  predictions as ramPredictions,
  toRgb,
} from '../explain/index.js';
import { RCN, type FewShotModel, regionGeometry } from '../model/index.js';
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
  /** RCN with `explain`: one explained "episode" per chunk of queries. */
  explanations?: EpisodeExplanation[];
}

export interface PredictOptions {
  /** Compute Region Activation Maps (RCN only). */
  explain?: boolean;
  chunk?: number;
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
  if (opts.explain && !(model instanceof RCN)) throw new Error('explanations need an RCN checkpoint');
  const way = support.classes.length;
  const per = spec.size * spec.size * 3;
  const sImgs = await Promise.all(support.files.map((f) => preprocessImageFile(f.path, spec)));
  const sArr = new Float32Array(sImgs.length * per);
  sImgs.forEach((im, i) => normalizeImageInto(im, spec, sArr, i * per));
  const supportWarnings = sImgs.flatMap((im, i) => {
    const w = domainWarning(im.stats, spec);
    return w ? [{ file: support.files[i].path, warning: w }] : [];
  });
  const rgb = (im: PreprocessedImage) => toRgb(im.pixels, spec.size, spec.size, spec.channels);
  const out: QueryPrediction[] = [];
  const explanations: EpisodeExplanation[] = [];
  const chunk = Math.max(1, opts.chunk ?? PREDICT_CHUNK);
  const sT = tf.tensor4d(sArr, [sImgs.length, spec.size, spec.size, 3]);
  try {
    for (let first = 0; first < queries.length; first += chunk) {
      const part = queries.slice(first, first + chunk);
      const qImgs = await Promise.all(part.map((f) => preprocessImageFile(f.path, spec)));
      const qArr = new Float32Array(qImgs.length * per);
      qImgs.forEach((im, i) => normalizeImageInto(im, spec, qArr, i * per));
      const qT = tf.tensor4d(qArr, [qImgs.length, spec.size, spec.size, 3]);
      const labels = part.map((f) => (f.label === null ? -1 : support.classes.indexOf(f.label)));
      const known = labels.every((l) => l >= 0);
      let probs: Float32Array;
      try {
        const batch = { support: sT, query: qT, way, shot: support.shot };
        if (model instanceof RCN && opts.explain) {
          const ram = await computeEpisodeRam(model, batch, known ? { labels: Int32Array.from(labels) } : {});
          probs = ram.probs;
          const episode: Episode = {
            id: `predict ${first + 1}-${first + part.length} of ${queries.length}`,
            spec: {
              dataset: 'files',
              split: 'predict',
              way,
              shot: support.shot,
              query: part.length,
              seed: 0,
              index: first,
            },
            classes: support.classes.map((c) => ({ id: c, name: c })),
            support: support.files.map((f) => ({
              imageId: f.path,
              classId: f.label!,
              label: support.classes.indexOf(f.label!),
            })),
            query: part.map((f, i) => ({ imageId: f.path, classId: f.label ?? '', label: labels[i] })),
          };
          explanations.push({
            episode,
            ram,
            geometry: regionGeometry(model.config),
            predictions: ramPredictions(ram),
            supportImages: sImgs.map(rgb),
            queryImages: qImgs.map(rgb),
          });
        } else {
          const o = model.forward(batch, { training: false });
          try {
            probs = (await o.probs.data()) as Float32Array;
          } finally {
            for (const t of Object.values(o) as (tf.Tensor | undefined)[]) t?.dispose();
          }
        }
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
    ...(opts.explain && { explanations }),
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
