/** Seeded k-means (k-means++ seeding, Lloyd iterations) on small sets of feature vectors. */
import { Rng } from '../util/index.js';

export interface KMeansResult {
  centroids: Float32Array[];
  /** Cluster of each point. */
  assignments: Int32Array;
  /** Sum of squared distances to the assigned centroids. */
  inertia: number;
  iterations: number;
}

function dist2(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

/** Clusters `points` (equal lengths) into min(k, #points) clusters, deterministically for a seed. */
export function kmeans(
  points: readonly Float32Array[],
  k: number,
  opts: { seed: number; maxIter?: number },
): KMeansResult {
  const n = points.length;
  if (n === 0) return { centroids: [], assignments: new Int32Array(0), inertia: 0, iterations: 0 };
  const kk = Math.max(1, Math.min(k, n));
  const rng = Rng.fromKeys(opts.seed, 0x6b6d);
  const centroids: Float32Array[] = [Float32Array.from(points[rng.int(n)])];
  const d = points.map((p) => dist2(p, centroids[0]));
  while (centroids.length < kk) {
    // k-means++: the next centre with probability proportional to the squared distance to the nearest one.
    const total = d.reduce((a, b) => a + b, 0);
    let pick = 0;
    if (total > 0) {
      let u = rng.float() * total;
      while (pick < n - 1 && u >= d[pick]) u -= d[pick++];
    } else pick = rng.int(n);
    centroids.push(Float32Array.from(points[pick]));
    points.forEach((p, i) => (d[i] = Math.min(d[i], dist2(p, centroids[centroids.length - 1]))));
  }
  const assignments = new Int32Array(n).fill(-1);
  let iterations = 0;
  for (; iterations < (opts.maxIter ?? 100); iterations++) {
    let changed = false;
    points.forEach((p, i) => {
      let best = 0;
      let bd = Infinity;
      centroids.forEach((c, j) => {
        const v = dist2(p, c);
        if (v < bd) [bd, best] = [v, j];
      });
      if (assignments[i] !== best) [assignments[i], changed] = [best, true];
    });
    if (!changed) break;
    centroids.forEach((c, j) => {
      const members = points.filter((_p, i) => assignments[i] === j);
      // An emptied cluster keeps its centre.
      if (!members.length) return;
      c.fill(0);
      for (const m of members) for (let t = 0; t < c.length; t++) c[t] += m[t] / members.length;
    });
  }
  const inertia = points.reduce((a, p, i) => a + dist2(p, centroids[assignments[i]]), 0);
  return { centroids, assignments, inertia, iterations };
}
