/**
 * Branch overrides: where a training step takes a given side of a kink instead of the one its own float32
 * arithmetic picks. At a ReLU / LeakyReLU input, a 2x2 max-pool window or a max over query regions that sits
 * within round-off of a tie, two correct float32 implementations may take different branches, and the
 * gradient then differs by far more than round-off. To compare against a reference (the golden tests compare
 * against float64), the step is told the reference's branch at exactly those sites.
 *
 * The overrides are plain data, passed through `GradientOptions.branches`; absent, nothing is looked up or
 * computed. Every listed site carries a tolerance: if our own value there is not that close to a tie, the
 * step fails, naming the site, instead of silently changing a derivative that was not in question.
 *
 * Calls are named by the pass (`support`, `query`, `head`) and the module path of the reference: the
 * BatchNorm(s) feeding an activation (`encoder.layer1.1`, `encoder.layer2.0.bn3+encoder.layer2.0.downsample.1`,
 * `head.meta_learner.1`), the pool module (`encoder.layer1.3`, `encoder.layer1.0.maxpool`); see `branchKey`.
 * Indices are flat NHWC (channels last), as our tensors are laid out.
 */

/** Sites of one activation call. */
export interface ActivationSites {
  /** Flat NHWC indices into the call's pre-activation. */
  index: readonly number[];
  /** Per index, the side to take: true for the positive side (derivative 1), false for 0 / the slope. */
  positive: readonly boolean[];
  /** Per index, the largest |our pre-activation| that still counts as a tie. */
  tolerance: readonly number[];
}

/** Sites of one 2x2 max-pool call (stride 2). */
export interface MaxPoolSites {
  /** Flat NHWC indices into the pool's output. */
  window: readonly number[];
  /** Per window, the flat NHWC index into the pool's input that receives the window's gradient. */
  winner: readonly number[];
  /** Per window, the runner-up's input index. */
  second: readonly number[];
  /** Per window, the largest gap between our winner and runner-up (and our maximum) that counts as a tie. */
  tolerance: readonly number[];
}

/** One entry of the region comparison's max over query regions j. */
export interface RegionMaxSite {
  query: number;
  support: number;
  region: number;
  /** The query region j whose cosine is taken as the maximum (and receives the gradient). */
  winner: number;
  second: number;
  /** Largest cosine gap between our maximum, the winner and the runner-up that counts as a tie. */
  tolerance: number;
}

export interface BranchOverrides {
  /** By `branchKey(pass, layer)`. */
  activations?: ReadonlyMap<string, ActivationSites>;
  /** By `branchKey(pass, pool module)`. */
  maxPools?: ReadonlyMap<string, MaxPoolSites>;
  regionMax?: readonly RegionMaxSite[];
}

/** The key of one call: pass and module path. */
export function branchKey(pass: string, layer: string): string {
  return `${pass} ${layer}`;
}

/** Thrown when a listed site is not a near-tie for us (or does not exist): the override would be wrong. */
export class BranchSiteError extends Error {
  constructor(call: string, problems: string[]) {
    const shown = problems.slice(0, 8).join('; ');
    const more = problems.length > 8 ? `; and ${problems.length - 8} more` : '';
    super(`branch override ${call}: ${problems.length} site(s) rejected: ${shown}${more}`);
    this.name = 'BranchSiteError';
  }
}

function checkIndex(i: number, size: number, what: string, problems: string[]): boolean {
  if (Number.isInteger(i) && i >= 0 && i < size) return true;
  problems.push(`${what} ${i} outside [0, ${size})`);
  return false;
}

/**
 * Applies activation sites to a derivative mask (NHWC, in place): `pre(i)` is our pre-activation at i, `low`
 * the negative side's derivative.
 */
export function applyActivationSites(
  mask: Float32Array,
  pre: (i: number) => number,
  low: number,
  sites: ActivationSites,
  call: string,
): void {
  const problems: string[] = [];
  sites.index.forEach((i, n) => {
    if (!checkIndex(i, mask.length, 'index', problems)) return;
    const p = pre(i);
    if (!(Math.abs(p) <= sites.tolerance[n]))
      problems.push(
        `index ${i}: our pre-activation ${p.toExponential(3)} is no tie (tolerance ${sites.tolerance[n]})`,
      );
    mask[i] = sites.positive[n] ? 1 : low;
  });
  if (problems.length) throw new BranchSiteError(call, problems);
}

/**
 * Routes each listed window's gradient to its winner (in place on `dx`, the pool's input gradient, NHWC
 * [n, h, w, c]); `x` is the pool's input, `dy` its output gradient ([n, ho, wo, c]).
 */
export function applyMaxPoolSites(
  dx: Float32Array,
  x: Float32Array,
  dy: Float32Array,
  shape: readonly [number, number, number, number],
  outShape: readonly [number, number, number, number],
  sites: MaxPoolSites,
  call: string,
): void {
  const [, h, w, c] = shape;
  const [, ho, wo] = outShape;
  const problems: string[] = [];
  sites.window.forEach((o, n) => {
    if (!checkIndex(o, dy.length, 'window', problems)) return;
    const ch = o % c;
    const ow = Math.floor(o / c) % wo;
    const oh = Math.floor(o / (c * wo)) % ho;
    const b = Math.floor(o / (c * wo * ho));
    const inputs: number[] = [];
    for (let di = 0; di < 2; di++)
      for (let dj = 0; dj < 2; dj++) inputs.push(((b * h + 2 * oh + di) * w + 2 * ow + dj) * c + ch);
    const { winner, second } = { winner: sites.winner[n], second: sites.second[n] };
    if (!inputs.includes(winner) || !inputs.includes(second)) {
      problems.push(`window ${o}: inputs ${winner} / ${second} are not in it`);
      return;
    }
    const top = Math.max(...inputs.map((i) => x[i]));
    const gap = Math.max(Math.abs(x[winner] - x[second]), top - x[winner]);
    if (!(gap <= sites.tolerance[n]))
      problems.push(
        `window ${o}: our gap ${gap.toExponential(3)} is no tie (tolerance ${sites.tolerance[n]})`,
      );
    for (const i of inputs) dx[i] = 0;
    dx[winner] = dy[o];
  });
  if (problems.length) throw new BranchSiteError(call, problems);
}

/**
 * Sets the listed entries' winners in `argmax` (in place) after checking that they are ties. `cos` is the
 * comparison's cosine tensor [S, R, Q, Rq] (support s, region k, query q, query region j), `argmax` its
 * argmax over j ([S, R, Q]).
 */
export function applyRegionMaxSites(
  argmax: Int32Array,
  cos: Float32Array,
  dims: { supports: number; regions: number; queries: number; queryRegions: number },
  sites: readonly RegionMaxSite[],
): void {
  const { supports, regions, queries, queryRegions: n } = dims;
  const problems: string[] = [];
  for (const s of sites) {
    const name = `(query ${s.query}, support ${s.support}, region ${s.region})`;
    const inRange = (v: number, size: number) => Number.isInteger(v) && v >= 0 && v < size;
    if (!inRange(s.query, queries) || !inRange(s.support, supports) || !inRange(s.region, regions)) {
      problems.push(`entry ${name} outside ${queries} queries x ${supports} supports x ${regions} regions`);
      continue;
    }
    if (!inRange(s.winner, n) || !inRange(s.second, n)) {
      problems.push(`entry ${name}: query regions ${s.winner} / ${s.second} outside [0, ${n})`);
      continue;
    }
    const r = (s.support * regions + s.region) * queries + s.query;
    const v = (j: number) => cos[r * n + j];
    const gap = Math.max(Math.abs(v(s.winner) - v(s.second)), v(argmax[r]) - v(s.winner));
    if (!(gap <= s.tolerance))
      problems.push(`entry ${name}: our gap ${gap.toExponential(3)} is no tie (tolerance ${s.tolerance})`);
    argmax[r] = s.winner;
  }
  if (problems.length) throw new BranchSiteError('head region max', problems);
}
