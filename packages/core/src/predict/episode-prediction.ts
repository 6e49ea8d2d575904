/**
 * An episode's answer as clients show it: per query the probabilities, the prediction and the class
 * scores, and for an RCN per (query, support) pair r_k, w_k, w_k r_k and sum_k w_k r_k. Plain numbers, no
 * file or dataset, so that the server's Predictor and the browser entry answer with the same code.
 */
import type { Method, RegionGeometry } from '../model/browser.js';

export type PredictorErrorCode =
  /** No checkpoint at the reference. */
  | 'CHECKPOINT_NOT_FOUND'
  /** A checkpoint that cannot be used (bad metadata, weights that do not fit). */
  | 'CHECKPOINT_INVALID'
  /** Neither the request nor the checkpoint names a dataset. */
  | 'NO_DATASET'
  /** The dataset, split or episode cannot be read or sampled. */
  | 'BAD_EPISODE'
  /** Inputs of the wrong shape or size for this model. */
  | 'BAD_INPUT';

export class PredictorError extends Error {
  override name = 'PredictorError';
  constructor(
    readonly code: PredictorErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** One support's comparison with one query (RCN only). */
export interface SupportComparison {
  /** Index among the episode's supports (class-major). */
  index: number;
  /** Its class, 0..way-1. */
  label: number;
  /** sum_k w_k r_k: this support's evidence for its class. */
  score: number;
  /** r_k per support region (row-major over the grid). */
  regionScores: number[];
  /** w_k per support region. */
  regionWeights: number[];
  /** w_k r_k per support region. */
  contributions: number[];
}

export interface PredictedQuery {
  index: number;
  /** Softmax over classes. */
  probabilities: number[];
  /** argmax of the probabilities. */
  predicted: number;
  /** The scores the softmax is taken of, per class. */
  classScores: number[];
  /** Per support, for an RCN; empty for methods without regions. */
  supports: SupportComparison[];
}

export interface EpisodePrediction {
  method: Method;
  way: number;
  shot: number;
  /** Regions per image (0 for methods without regions). */
  regions: number;
  /** Where the regions lie in the image; null without a region grid. */
  geometry: RegionGeometry | null;
  queries: PredictedQuery[];
}

function argmax(a: ArrayLike<number>, off: number, n: number): number {
  let b = 0;
  for (let i = 1; i < n; i++) if (a[off + i] > a[off + b]) b = i;
  return b;
}

/** A model's raw episode outputs, as a forward pass or an `EpisodeRam` holds them. */
export interface EpisodeOutputs {
  way: number;
  shot: number;
  /** [Q, way] softmax probabilities and the scores they are taken of. */
  probs: Float32Array;
  classScores: Float32Array;
  /** Regions per image (0 without a region grid). */
  regions: number;
  /** [Q, S, R] r_k and w_k (S = way * shot, class-major); null for methods without regions. */
  regionScores: Float32Array | null;
  regionWeights: Float32Array | null;
}

/**
 * Per query: probabilities, prediction, class scores and, per support, r_k, w_k, w_k r_k and
 * sum_k w_k r_k. The one place this bookkeeping is done (the Predictor, and callers holding an
 * explained episode's RAM, e.g. the API's tasks explorer).
 */
export function episodePrediction(
  o: EpisodeOutputs,
  method: Method,
  geometry: RegionGeometry | null,
): EpisodePrediction {
  const { way, regions } = o;
  const nS = way * o.shot;
  const nQ = o.probs.length / way;
  const r = o.regionScores;
  const w = o.regionWeights;
  const queries: PredictedQuery[] = [];
  for (let q = 0; q < nQ; q++) {
    const supports: SupportComparison[] = [];
    if (r && w) {
      for (let s = 0; s < nS; s++) {
        const at = (q * nS + s) * regions;
        const regionScores = Array.from(r.subarray(at, at + regions));
        const regionWeights = Array.from(w.subarray(at, at + regions));
        const contributions = regionScores.map((x, k) => x * regionWeights[k]);
        supports.push({
          index: s,
          label: Math.floor(s / o.shot),
          score: contributions.reduce((x, y) => x + y, 0),
          regionScores,
          regionWeights,
          contributions,
        });
      }
    }
    queries.push({
      index: q,
      probabilities: Array.from(o.probs.subarray(q * way, (q + 1) * way)),
      predicted: argmax(o.probs, q * way, way),
      classScores: Array.from(o.classScores.subarray(q * way, (q + 1) * way)),
      supports,
    });
  }
  return { method, way, shot: o.shot, regions: r && w ? regions : 0, geometry, queries };
}

/** The fraction of an episode's queries predicted as their label (0 for an episode without queries). */
export function predictionAccuracy(
  p: EpisodePrediction,
  episode: { readonly query: readonly { readonly label: number }[] },
): number {
  const correct = p.queries.filter((q) => q.predicted === episode.query[q.index].label).length;
  return p.queries.length ? correct / p.queries.length : 0;
}
