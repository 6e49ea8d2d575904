/**
 * Are the explanations faithful? Deletion and insertion curves (Petsiuk et al., RISE, 2018): remove image
 * regions in the order an attribution ranks them (or, for insertion, reveal them on a blank image) and track
 * the probability of the query's true class. A faithful ranking makes the probability fall fast (low
 * deletion AUC) and rise fast (high insertion AUC). Compared: the RAM, a random order, and Grad-CAM, on the
 * same model and episodes.
 *
 * Units are the model's regions, each an image tile of the region geometry; a removed tile is set to 0 in
 * normalised units, i.e. the dataset's mean colour. The perturbed image is re-encoded inside its own set
 * (the other images unchanged): with batch-statistics BatchNorm the set is what the model sees.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FewShotDataset } from '../data/index.js';
import { buildEpisodeArrays, sampleEpisode, arraysToBatch } from '../episodes/index.js';
import { type RCN, regionGeometry, regionTile, type RegionGeometry } from '../model/index.js';
import { Rng } from '../util/index.js';
import { gradCamRegions, type ExplainSide } from './gradcam.js';
import { classRam, computeEpisodeRam, pairRam } from './ram.js';

export type AttributionMethod = 'ram' | 'random' | 'gradcam';
export const ATTRIBUTION_METHODS: readonly AttributionMethod[] = ['ram', 'random', 'gradcam'];

export interface FaithfulnessOptions {
  /** Episode stream: split, way, shot, query, seed; episodes 0..episodes-1 of it. */
  split: string;
  way: number;
  shot: number;
  query: number;
  seed: number;
  episodes: number;
  /** Which image is perturbed: the query, or the supports of its true class. Default `query`. */
  side?: ExplainSide;
  /** Queries evaluated per episode (chosen with the seed); default all. */
  queriesPerEpisode?: number;
  /** Points on each curve beyond the start: regions removed per step = R / steps. Default R. */
  steps?: number;
  methods?: readonly AttributionMethod[];
  onProgress?: (episodesDone: number, total: number) => void;
}

export interface CurveStats {
  /** Mean area under the curve (x: fraction of regions removed / revealed, y: true-class probability). */
  auc: number;
  /** Half-width of the 95% confidence interval of the mean. */
  ci95: number;
  /** Mean probability at each step. */
  curve: number[];
}

export interface MethodFaithfulness {
  method: AttributionMethod;
  deletion: CurveStats;
  insertion: CurveStats;
  /** Per (query, class) pair, in evaluation order (the same pairs for every method): for paired tests. */
  deletionAucs: number[];
  insertionAucs: number[];
}

export interface FaithfulnessReport {
  dataset: string;
  split: string;
  side: ExplainSide;
  episodes: number;
  /** (query, true class) pairs measured. */
  pairs: number;
  way: number;
  shot: number;
  query: number;
  seed: number;
  regions: number;
  /** x of every curve point. */
  fractions: number[];
  methods: MethodFaithfulness[];
}

/** Trapezoidal area under y over x. */
export function auc(x: readonly number[], y: readonly number[]): number {
  let a = 0;
  for (let i = 1; i < x.length; i++) a += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return a;
}

/** Region indices sorted by descending score; ties in a random (seeded) order. */
export function rankRegions(scores: ArrayLike<number>, rng: Rng): number[] {
  const order = rng.shuffle(Array.from({ length: scores.length }, (_v, i) => i));
  // Stable sort keeps the shuffled order among equal scores.
  return order.sort((a, b) => scores[b] - scores[a]);
}

/** Sets the tiles of `regions` in image `index` of `set` (HWC float, images of side `size`) to `fill` / `src`. */
function copyTiles(
  dst: Float32Array,
  src: Float32Array | null,
  index: number,
  regions: readonly number[],
  geom: RegionGeometry,
): void {
  const size = geom.imageSize;
  const base = index * size * size * 3;
  for (const k of regions) {
    const t = regionTile(geom, k);
    for (let y = t.y; y < t.y + t.height; y++) {
      const from = base + (y * size + t.x) * 3;
      const to = from + t.width * 3;
      if (src) dst.set(src.subarray(from, to), from);
      else dst.fill(0, from, to);
    }
  }
}

function blank(dst: Float32Array, index: number, size: number): void {
  dst.fill(0, index * size * size * 3, (index + 1) * size * size * 3);
}

/** Measures deletion / insertion AUCs of each attribution method over an episode stream. */
export async function measureFaithfulness(
  model: RCN,
  ds: FewShotDataset,
  opts: FaithfulnessOptions,
): Promise<FaithfulnessReport> {
  const side = opts.side ?? 'query';
  const methods = opts.methods ?? ATTRIBUTION_METHODS;
  const geom = regionGeometry(model.config);
  const r = geom.gridH * geom.gridW;
  const steps = Math.min(r, opts.steps ?? r);
  const counts = Array.from({ length: steps + 1 }, (_v, t) => Math.round((t * r) / steps));
  const fractions = counts.map((n) => n / r);
  const curves = new Map<AttributionMethod, { deletion: number[][]; insertion: number[][] }>(
    methods.map((m) => [m, { deletion: [], insertion: [] }]),
  );
  const { way, shot } = opts;
  const size = model.config.imageSize;
  for (let e = 0; e < opts.episodes; e++) {
    const ep = sampleEpisode(ds, {
      dataset: ds.name,
      split: ds.split,
      way,
      shot,
      query: opts.query,
      seed: opts.seed,
      index: e,
    });
    const arrays = await buildEpisodeArrays(ds, ep, { augmentQueries: false });
    const batch = arraysToBatch(arrays);
    const rng = Rng.fromKeys(opts.seed, e, 0x5ea1);
    let sf: tf.Tensor4D | null = null;
    let qf: tf.Tensor4D | null = null;
    try {
      const ram = await computeEpisodeRam(model, batch, { labels: arrays.queryLabels });
      sf = model.encode(batch.support, false, 'support');
      qf = model.encode(batch.query, false, 'query');
      const [sfe, qfe] = [sf, qf];
      const nq = arrays.queryLabels.length;
      const focus = rng.sample(nq, Math.min(nq, opts.queriesPerEpisode ?? nq)).sort((a, b) => a - b);
      for (const q of focus) {
        const c = arrays.queryLabels[q];
        // The perturbed images (index within their set) and, per method, each one's region scores.
        const images = side === 'query' ? [q] : Array.from({ length: shot }, (_v, s) => c * shot + s);
        const setData = side === 'query' ? arrays.queries : arrays.support;
        const setCount = side === 'query' ? nq : way * shot;
        // Probability of class c for query q with the perturbed set.
        const score = async (data: Float32Array): Promise<number> => {
          const p = tf.tidy(() => {
            const imgs = tf.tensor4d(data, [setCount, size, size, 3]);
            const f = model.encode(imgs, false, side);
            const h =
              side === 'query' ? model.head(sfe, f, way, shot, false) : model.head(f, qfe, way, shot, false);
            return tf.slice(h.probs, [q, c], [1, 1]);
          });
          try {
            return (await p.data())[0];
          } finally {
            p.dispose();
          }
        };
        const full = await score(setData);
        const emptied = setData.slice();
        for (const img of images) blank(emptied, img, size);
        const empty = await score(emptied);
        for (const m of methods) {
          const rankings: number[][] = [];
          for (const img of images) {
            let s: ArrayLike<number>;
            if (m === 'random') s = new Float32Array(r);
            else if (m === 'gradcam')
              s = await gradCamRegions(model, sfe, qfe, way, shot, {
                query: q,
                classIndex: c,
                side,
                support: img,
              });
            else
              s =
                side === 'query'
                  ? classRam(ram, q, c).queryContributions
                  : pairRam(ram, q, img).contributions;
            rankings.push(rankRegions(s, rng));
          }
          const del: number[] = [];
          const ins: number[] = [];
          for (const n of counts) {
            // Nothing removed and everything removed are the same images for every method: scored once.
            if (n === 0 || n === r) {
              del.push(n === 0 ? full : empty);
              ins.push(n === 0 ? empty : full);
              continue;
            }
            const d = setData.slice();
            const i = setData.slice();
            images.forEach((img, j) => {
              copyTiles(d, null, img, rankings[j].slice(0, n), geom);
              blank(i, img, size);
              copyTiles(i, setData, img, rankings[j].slice(0, n), geom);
            });
            del.push(await score(d));
            ins.push(await score(i));
          }
          const entry = curves.get(m) as { deletion: number[][]; insertion: number[][] };
          entry.deletion.push(del);
          entry.insertion.push(ins);
        }
      }
    } finally {
      if (sf) sf.dispose();
      if (qf) qf.dispose();
      batch.dispose();
    }
    opts.onProgress?.(e + 1, opts.episodes);
    // Yield to the event loop between episodes (progress bars, cancellation).
    await new Promise((res) => setImmediate(res));
  }
  const aucsOf = (list: number[][]) => list.map((y) => auc(fractions, y));
  const summarise = (list: number[][]): CurveStats => {
    const aucs = aucsOf(list);
    const n = aucs.length;
    const mean = aucs.reduce((a, b) => a + b, 0) / Math.max(1, n);
    const sd = n > 1 ? Math.sqrt(aucs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
    return {
      auc: mean,
      ci95: n > 1 ? (1.96 * sd) / Math.sqrt(n) : 0,
      curve: fractions.map((_f, t) => list.reduce((a, y) => a + y[t], 0) / Math.max(1, n)),
    };
  };
  const first = curves.get(methods[0]);
  return {
    dataset: ds.name,
    split: ds.split,
    side,
    episodes: opts.episodes,
    pairs: first ? first.deletion.length : 0,
    way,
    shot,
    query: opts.query,
    seed: opts.seed,
    regions: r,
    fractions,
    methods: methods.map((m) => {
      const c = curves.get(m) as { deletion: number[][]; insertion: number[][] };
      return {
        method: m,
        deletion: summarise(c.deletion),
        insertion: summarise(c.insertion),
        deletionAucs: aucsOf(c.deletion),
        insertionAucs: aucsOf(c.insertion),
      };
    }),
  };
}

/** The report as a fixed-width table. */
export function formatFaithfulness(rep: FaithfulnessReport): string {
  const lines = [
    `${rep.dataset}/${rep.split}, ${rep.way}-way ${rep.shot}-shot, ${rep.episodes} episodes, ${rep.pairs} (query, true class) pairs, ` +
      `${rep.side} images perturbed over ${rep.regions} regions`,
    'method     deletion AUC (lower is better)   insertion AUC (higher is better)',
  ];
  for (const m of rep.methods) {
    const cell = (s: CurveStats) => `${s.auc.toFixed(4)} ± ${s.ci95.toFixed(4)}`.padEnd(33);
    lines.push(`${m.method.padEnd(11)}${cell(m.deletion)}${cell(m.insertion)}`);
  }
  return lines.join('\n');
}
