/**
 * The numbers of an on-device answer as JSON (the page's "The numbers (JSON)" link): what ran, the
 * timings, and per query the probabilities and, for an RCN, every (query, support) pair's r_k, w_k, w_k r_k,
 * best matches and similarity matrix, in the shapes of the API's `prediction` and `ram`.
 */
import {
  pairRam,
  regionSimilarityMap,
  type BrowserBackendInfo,
  type FetchedCheckpoint,
} from '@rcn/core/browser';
import type { LocalAnswer } from './engine';

export interface LocalResultJson {
  checkpoint: string;
  method: string;
  backend: { name: string; description: string };
  classes: string[];
  way: number;
  shot: number;
  /** Every prediction this page made with this model, in ms (treating the images and the forward pass). */
  predictionsMs: number[];
  queries: {
    probabilities: number[];
    predicted: number;
    classScores: number[];
    supports: {
      label: number;
      score: number;
      regionScores: number[];
      regionWeights: number[];
      contributions: number[];
      bestMatch: number[];
      /** [k][j]: cosine similarity of support region k to query region j. */
      similarity: number[][];
    }[];
  }[];
}

export function resultJson(
  ck: FetchedCheckpoint,
  info: BrowserBackendInfo,
  classes: string[],
  answer: LocalAnswer,
  predictionsMs: number[],
): LocalResultJson {
  const { prediction: p, ram } = answer;
  return {
    checkpoint: ck.url,
    method: ck.method,
    backend: { name: info.name, description: info.description },
    classes,
    way: p.way,
    shot: p.shot,
    predictionsMs,
    queries: p.queries.map((q) => ({
      probabilities: q.probabilities,
      predicted: q.predicted,
      classScores: q.classScores,
      supports: q.supports.map((s) => {
        const pair = ram ? pairRam(ram, q.index, s.index) : null;
        return {
          label: s.label,
          score: s.score,
          regionScores: s.regionScores,
          regionWeights: s.regionWeights,
          contributions: s.contributions,
          bestMatch: pair?.bestMatch ?? [],
          similarity: ram
            ? Array.from({ length: ram.regions }, (_v, k) => regionSimilarityMap(ram, q.index, s.index, k))
            : [],
        };
      }),
    })),
  };
}
