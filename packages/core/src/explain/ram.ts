/**
 * Region Activation Maps: what the RCN's decision is made of. For a query q and support s, support region k
 * contributes w_k * r_k to the support's score, where r_k is the best cosine similarity of region k to any
 * query region (the "best match") and w_k the region-weight network's weight. A class score is the mean of
 * its shots' scores, so each (shot, region) carries w_k r_k / (K * class score) of it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { l2Normalize, type RCN, disposeOutput, type EpisodeBatch } from '../model/browser.js';

/** Every number the maps are made of, for one episode (typed arrays, row-major as documented). */
export interface EpisodeRam {
  way: number;
  shot: number;
  /** Number of queries Q (all classes). */
  queries: number;
  /** Regions per image R (gridH * gridW). */
  regions: number;
  /** [Q] true labels when known. */
  labels: Int32Array | null;
  /** [Q, N] softmax probabilities and class scores. */
  probs: Float32Array;
  classScores: Float32Array;
  /** [Q, S, R] r_k, w_k (S = way * shot, class-major). */
  regionScores: Float32Array;
  regionWeights: Float32Array;
  /** [Q, S, R, R]: cosine similarity of support region k to each query region j. */
  similarity: Float32Array;
  /** [Q, S, R]: the query region j that gave r_k. */
  bestMatch: Int32Array;
  /** [S, R, C] support region features, when asked for (prototypical parts). */
  supportRegionFeatures?: Float32Array;
  channels: number;
}

/** The maps of one (query, support) pair; arrays over the R regions. */
export interface PairRam {
  query: number;
  support: number;
  /** Class (episode label) of the support. */
  classIndex: number;
  /** The support's shot within its class (its row of `ClassRam.share`). */
  shot: number;
  /** r_k over the support's regions. */
  scores: number[];
  /** w_k over the support's regions. */
  weights: number[];
  /** w_k r_k over the support's regions; sums to `supportScore`. */
  contributions: number[];
  supportScore: number;
  /** For each support region k, the query region that matched it best. */
  bestMatch: number[];
  /** Contributions credited to the query regions that gave them (the query-side map). */
  queryContributions: number[];
}

/** The maps of one (query, class) pair, aggregated over the class's shots. */
export interface ClassRam {
  query: number;
  classIndex: number;
  classScore: number;
  probability: number;
  shots: PairRam[];
  /** Mean over shots of w_k r_k per region position. */
  contributions: number[];
  /** [shot][region]: share of the class score carried by that support region (sums to 1 over all). */
  share: number[][];
  /** Mean over shots of the query-side maps. */
  queryContributions: number[];
}

/**
 * Runs the model on the episode and gathers its RAM numbers; every tensor is released. Reads are
 * asynchronous (the webgpu backend cannot read synchronously under Node).
 */
export async function computeEpisodeRam(
  model: RCN,
  batch: EpisodeBatch,
  opts: { supportFeatures?: boolean; labels?: Int32Array } = {},
): Promise<EpisodeRam> {
  const out = model.forward(batch, { training: false, intermediates: true });
  try {
    const sr = out.supportRegions as tf.Tensor3D;
    const qr = out.queryRegions as tf.Tensor3D;
    const [s, r, c] = sr.shape;
    const q = qr.shape[0];
    // [S*R, Q*R]: every support region against every query region, as in the comparison.
    const cos = tf.tidy(() =>
      tf.matMul(
        tf.reshape(l2Normalize(sr), [s * r, c]) as tf.Tensor2D,
        tf.reshape(l2Normalize(qr), [q * r, c]) as tf.Tensor2D,
        false,
        true,
      ),
    );
    let cosData: Float32Array;
    try {
      cosData = (await cos.data()) as Float32Array;
    } finally {
      cos.dispose();
    }
    const similarity = new Float32Array(q * s * r * r);
    const bestMatch = new Int32Array(q * s * r);
    for (let qi = 0; qi < q; qi++)
      for (let si = 0; si < s; si++)
        for (let k = 0; k < r; k++) {
          const row = (si * r + k) * q * r + qi * r;
          const base = ((qi * s + si) * r + k) * r;
          let best = 0;
          for (let j = 0; j < r; j++) {
            similarity[base + j] = cosData[row + j];
            if (cosData[row + j] > cosData[row + best]) best = j;
          }
          bestMatch[(qi * s + si) * r + k] = best;
        }
    return {
      way: batch.way,
      shot: batch.shot,
      queries: q,
      regions: r,
      channels: c,
      labels: opts.labels ?? (batch.queryLabels ? Int32Array.from(await batch.queryLabels.data()) : null),
      probs: (await out.probs.data()) as Float32Array,
      classScores: (await out.classScores.data()) as Float32Array,
      regionScores: (await (out.regionScores as tf.Tensor3D).data()) as Float32Array,
      regionWeights: (await (out.regionWeights as tf.Tensor3D).data()) as Float32Array,
      similarity,
      bestMatch,
      supportRegionFeatures: opts.supportFeatures ? ((await sr.data()) as Float32Array) : undefined,
    };
  } finally {
    disposeOutput(out);
  }
}

function check(ram: EpisodeRam, query: number, support: number): void {
  if (!Number.isInteger(query) || query < 0 || query >= ram.queries)
    throw new Error(`ram: query ${query} out of range 0..${ram.queries - 1}`);
  if (!Number.isInteger(support) || support < 0 || support >= ram.way * ram.shot)
    throw new Error(`ram: support ${support} out of range 0..${ram.way * ram.shot - 1}`);
}

/** The maps of (query, support). */
export function pairRam(ram: EpisodeRam, query: number, support: number): PairRam {
  check(ram, query, support);
  const { regions: r } = ram;
  const at = (query * ram.way * ram.shot + support) * r;
  const scores = Array.from(ram.regionScores.subarray(at, at + r));
  const weights = Array.from(ram.regionWeights.subarray(at, at + r));
  const bestMatch = Array.from(ram.bestMatch.subarray(at, at + r));
  const contributions = scores.map((v, k) => v * weights[k]);
  const queryContributions = new Array<number>(r).fill(0);
  contributions.forEach((v, k) => (queryContributions[bestMatch[k]] += v));
  return {
    query,
    support,
    classIndex: Math.floor(support / ram.shot),
    shot: support % ram.shot,
    scores,
    weights,
    contributions,
    supportScore: contributions.reduce((a, b) => a + b, 0),
    bestMatch,
    queryContributions,
  };
}

/** Cosine similarity of support region k to every query region (the query-side map of region k). */
export function regionSimilarityMap(ram: EpisodeRam, query: number, support: number, k: number): number[] {
  check(ram, query, support);
  if (!Number.isInteger(k) || k < 0 || k >= ram.regions) throw new Error(`ram: region ${k} out of range`);
  const at = ((query * ram.way * ram.shot + support) * ram.regions + k) * ram.regions;
  return Array.from(ram.similarity.subarray(at, at + ram.regions));
}

/** [R * R] row-major: the cosine of support region k (row) and query region j (column) for (query, support). */
export function pairSimilarity(ram: EpisodeRam, query: number, support: number): Float32Array {
  check(ram, query, support);
  const size = ram.regions * ram.regions;
  const at = (query * ram.way * ram.shot + support) * size;
  return ram.similarity.slice(at, at + size);
}

/** The class probabilities the model gives one query. */
export function queryProbabilities(ram: EpisodeRam, query: number): number[] {
  check(ram, query, 0);
  return Array.from(ram.probs.subarray(query * ram.way, (query + 1) * ram.way));
}

/** The maps of (query, class), over the class's shots. */
export function classRam(ram: EpisodeRam, query: number, classIndex: number): ClassRam {
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= ram.way)
    throw new Error(`ram: class ${classIndex} out of range 0..${ram.way - 1}`);
  const shots = Array.from({ length: ram.shot }, (_v, s) => pairRam(ram, query, classIndex * ram.shot + s));
  const r = ram.regions;
  const mean = (pick: (p: PairRam) => number[]) =>
    Array.from({ length: r }, (_v, k) => shots.reduce((a, p) => a + pick(p)[k], 0) / ram.shot);
  const classScore = ram.classScores[query * ram.way + classIndex];
  // Guard the share against a zero score (all weights zero): then no region carries anything.
  const denom = ram.shot * classScore;
  return {
    query,
    classIndex,
    classScore,
    probability: ram.probs[query * ram.way + classIndex],
    shots,
    contributions: mean((p) => p.contributions),
    share: shots.map((p) => p.contributions.map((v) => (denom > 0 ? v / denom : 0))),
    queryContributions: mean((p) => p.queryContributions),
  };
}

/** Predicted class of each query (argmax of the probabilities). */
export function predictions(ram: EpisodeRam): number[] {
  return Array.from({ length: ram.queries }, (_v, q) => {
    let best = 0;
    for (let c = 1; c < ram.way; c++)
      if (ram.probs[q * ram.way + c] > ram.probs[q * ram.way + best]) best = c;
    return best;
  });
}
