/**
 * One (query, support) pair of an explained episode as the API sends it (sampled episodes and tasks files
 * alike): core's RAM numbers for the pair, read through core's accessors, and its maps rendered as PNGs.
 */
import {
  classRam,
  encodePng,
  heatOverlay,
  pairRam,
  pairSimilarity,
  queryProbabilities,
  rangeOf,
  renderPairPng,
  resizeNearest,
  type Episode,
  type EpisodeExplanation,
} from '@rcn/core';
import { geometryOf, type GridGeometry } from '../services/geometry.js';

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
  /** This support's score sum_k w_k r_k. */
  score: number;
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

/** The RAM of one (query, support) pair of an explained episode, its maps rendered as PNGs (tasks and sampled episodes). */
export async function pairResult(x: EpisodeExplanation, query: number, support: number): Promise<RamResult> {
  const { ram, geometry: g } = x;
  const pr = pairRam(ram, query, support);
  const cr = classRam(ram, query, pr.classIndex);
  const size = g.imageSize * Math.max(1, Math.ceil(128 / g.imageSize));
  const sImg = x.supportImages[support];
  const qImg = x.queryImages[query];
  const over = (img: typeof sImg, values: number[], floorAtZero = true) =>
    encodePng(heatOverlay(img, values, g, rangeOf(values, floorAtZero), { size }));
  const [sPng, qPng, scores, weights, contributions, queryContributions, panel] = await Promise.all([
    encodePng(resizeNearest(sImg, size)),
    encodePng(resizeNearest(qImg, size)),
    // r is a cosine with a narrow spread inside one image: its colour range is the data's.
    over(sImg, pr.scores, false),
    over(sImg, pr.weights),
    over(sImg, pr.contributions),
    over(qImg, pr.queryContributions),
    renderPairPng(x, query, support),
  ]);
  return {
    episode: x.episode,
    regions: ram.regions,
    imageSize: g.imageSize,
    geometry: geometryOf(g),
    probabilities: queryProbabilities(ram, query),
    scores: pr.scores,
    weights: pr.weights,
    contributions: pr.contributions,
    queryContributions: pr.queryContributions,
    bestMatch: pr.bestMatch,
    similarity: pairSimilarity(ram, query, support),
    score: pr.supportScore,
    classScore: cr.classScore,
    share: cr.share[pr.shot],
    png: { support: sPng, query: qPng, scores, weights, contributions, queryContributions, panel },
  };
}
