/**
 * Branch overrides: where a training step takes a given side of a kink instead of the one its own float32
 * arithmetic picks. At a ReLU / LeakyReLU input, a 2x2 max-pool window or a max over query regions that sits
 * within round-off of a tie, two correct float32 implementations may take different branches, and the
 * gradient then differs by far more than round-off. To compare against a reference (the golden tests compare
 * against float64), the step is told the reference's branch at exactly those sites.
 *
 * The overrides are plain data, passed through `GradientOptions.branches`; absent, nothing is looked up or
 * computed. They are applied on the device (masks and indices built on the CPU from the site lists alone), so
 * that a step with overrides never reads a tensor synchronously, which the webgpu backend cannot do. Every
 * listed site carries a tolerance: our own values at the sites are gathered into small tensors, and
 * `BranchSiteChecks.verify` (awaited after the step) fails, naming the call and site, where our value is not
 * that close to a tie, instead of silently accepting a derivative that was not in question. A site list
 * that does not fit the call's shapes (an index outside the tensor, a winner outside its window) fails the
 * step at once.
 *
 * Calls are named by the pass (`support`, `query`, `head`) and the module path of the reference: the
 * BatchNorm(s) feeding an activation (`encoder.layer1.1`, `encoder.layer2.0.bn3+encoder.layer2.0.downsample.1`,
 * `head.meta_learner.1`), the pool module (`encoder.layer1.3`, `encoder.layer1.0.maxpool`); see `branchKey`.
 * Indices are flat NHWC (channels last), as our tensors are laid out.
 */
import * as tf from '@tensorflow/tfjs-core';

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
  /** Collects the values to check at the sites during a step; await `checks.verify()` after it. */
  checks: BranchSiteChecks;
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
  /** `others`: further rejected calls, named with their count of rejected sites. */
  constructor(call: string, problems: string[], others: string[] = []) {
    const shown = problems.slice(0, 8).join('; ');
    const more = problems.length > 8 ? `; and ${problems.length - 8} more` : '';
    const also = others.length ? `; also rejected: ${others.join(', ')}` : '';
    super(`branch override ${call}: ${problems.length} site(s) rejected: ${shown}${more}${also}`);
    this.name = 'BranchSiteError';
  }
}

interface PendingCheck {
  call: string;
  /** Our values at the call's sites, kept past the step's scopes until `verify`. */
  values: tf.Tensor;
  /** The problems the values show (empty when every site is a near-tie). */
  problems: (values: Float32Array) => string[];
}

/**
 * The near-tie checks of a step's overrides, deferred: each overridden call adds a small tensor of our values
 * at its sites; `verify` reads them (asynchronously, on every backend) and throws `BranchSiteError` naming the
 * first rejected call (and the others). The tensors are released by `verify` or `dispose`.
 */
export class BranchSiteChecks {
  private pending: PendingCheck[] = [];

  /** Calls checked so far (not yet verified). */
  get size(): number {
    return this.pending.length;
  }

  add(call: string, values: tf.Tensor, problems: (values: Float32Array) => string[]): void {
    this.pending.push({ call, values: tf.keep(values), problems });
  }

  async verify(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    const rejected: [string, string[]][] = [];
    try {
      for (const p of pending) {
        const problems = p.problems((await p.values.data()) as Float32Array);
        if (problems.length) rejected.push([p.call, problems]);
      }
    } finally {
      tf.dispose(pending.map((p) => p.values));
    }
    if (!rejected.length) return;
    const [call, problems] = rejected[0];
    const others = rejected.slice(1).map(([c, ps]) => `${c} (${ps.length})`);
    throw new BranchSiteError(call, problems, others);
  }

  dispose(): void {
    tf.dispose(this.pending.map((p) => p.values));
    this.pending = [];
  }
}

function checkIndex(i: number, size: number, what: string, problems: string[]): boolean {
  if (Number.isInteger(i) && i >= 0 && i < size) return true;
  problems.push(`${what} ${i} outside [0, ${size})`);
  return false;
}

function throwIf(call: string, problems: string[]): void {
  if (problems.length) throw new BranchSiteError(call, problems);
}

/** A boolean tensor of `shape`, true at the flat indices. */
function indexMask(shape: number[], indices: Iterable<number>): tf.Tensor {
  const m = new Uint8Array(tf.util.sizeFromShape(shape));
  for (const i of indices) m[i] = 1;
  return tf.tensor(m, shape, 'bool');
}

/**
 * The activation derivative `mask` (0/1 or slope/1, NHWC) with the listed sides at the sites. `preAt(flat,
 * channel)` gathers our pre-activation at flat indices (channel = index mod C); it is checked against the
 * tolerances in `checks.verify()`.
 */
export function overrideActivation(
  mask: tf.Tensor,
  low: number,
  sites: ActivationSites,
  call: string,
  checks: BranchSiteChecks,
  preAt: (flat: tf.Tensor1D, channel: tf.Tensor1D) => tf.Tensor,
): tf.Tensor {
  const problems: string[] = [];
  sites.index.forEach((i) => checkIndex(i, mask.size, 'index', problems));
  throwIf(call, problems);
  const c = mask.shape[mask.shape.length - 1];
  return tf.tidy(() => {
    const fixed = new Float32Array(mask.size);
    sites.index.forEach((i, n) => (fixed[i] = sites.positive[n] ? 1 : low));
    const flat = tf.tensor1d(sites.index as number[], 'int32');
    const channel = tf.tensor1d(
      sites.index.map((i) => i % c),
      'int32',
    );
    checks.add(call, preAt(flat, channel), (pre) =>
      sites.index.flatMap((i, n) =>
        Math.abs(pre[n]) <= sites.tolerance[n]
          ? []
          : [
              `index ${i}: our pre-activation ${pre[n].toExponential(3)} is no tie (tolerance ${sites.tolerance[n]})`,
            ],
      ),
    );
    return tf.where(indexMask(mask.shape, sites.index), tf.tensor(fixed, mask.shape), mask);
  });
}

/**
 * The 2x2 max-pool's input gradient `dx` (NHWC [n, h, w, c]) with each listed window's gradient routed to its
 * winner: `x` is the pool's input, `dy` its output gradient ([n, ho, wo, c]).
 */
export function overrideMaxPoolGrad(
  dx: tf.Tensor4D,
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  sites: MaxPoolSites,
  call: string,
  checks: BranchSiteChecks,
): tf.Tensor4D {
  const [, h, w, c] = x.shape;
  const [, ho, wo] = dy.shape;
  const problems: string[] = [];
  // Per window: its four inputs, then the winner and the runner-up (flat NHWC input indices).
  const gathered: number[] = [];
  sites.window.forEach((o, n) => {
    if (!checkIndex(o, dy.size, 'window', problems)) return;
    const ch = o % c;
    const ow = Math.floor(o / c) % wo;
    const oh = Math.floor(o / (c * wo)) % ho;
    const b = Math.floor(o / (c * wo * ho));
    const inputs: number[] = [];
    for (let di = 0; di < 2; di++)
      for (let dj = 0; dj < 2; dj++) inputs.push(((b * h + 2 * oh + di) * w + 2 * ow + dj) * c + ch);
    const { winner, second } = { winner: sites.winner[n], second: sites.second[n] };
    if (!inputs.includes(winner) || !inputs.includes(second))
      problems.push(`window ${o}: inputs ${winner} / ${second} are not in it`);
    gathered.push(...inputs, winner, second);
  });
  throwIf(call, problems);
  return tf.tidy(() => {
    const xs = tf.gather(tf.reshape(x, [-1]), tf.tensor1d(gathered, 'int32'));
    checks.add(call, xs, (v) =>
      sites.window.flatMap((o, n) => {
        const [a, b2, c2, d, win, sec] = v.subarray(6 * n, 6 * n + 6);
        const gap = Math.max(Math.abs(win - sec), Math.max(a, b2, c2, d) - win);
        return gap <= sites.tolerance[n]
          ? []
          : [`window ${o}: our gap ${gap.toExponential(3)} is no tie (tolerance ${sites.tolerance[n]})`];
      }),
    );
    const inputsOfWindows = gathered.filter((_, k) => k % 6 < 4);
    const cleared = tf.where(indexMask(x.shape, inputsOfWindows), tf.zerosLike(dx), dx);
    const routed = tf.scatterND(
      tf.tensor2d(sites.winner as number[], [sites.winner.length, 1], 'int32'),
      tf.gather(tf.reshape(dy, [-1]), tf.tensor1d(sites.window as number[], 'int32')),
      [x.size],
    );
    return tf.add(cleared, tf.reshape(routed, x.shape)) as tf.Tensor4D;
  });
}

/**
 * `argmax` ([S, R, Q] int32, over the last axis of the cosines `cos` [S, R, Q, Rq]: support s, region k,
 * query q, query region j) with the listed entries' winners.
 */
export function overrideRegionArgmax(
  argmax: tf.Tensor,
  cos: tf.Tensor,
  sites: readonly RegionMaxSite[],
  checks: BranchSiteChecks,
): tf.Tensor {
  const [supports, regions, queries, n] = cos.shape;
  const call = 'head region max';
  const problems: string[] = [];
  const inRange = (v: number, size: number) => Number.isInteger(v) && v >= 0 && v < size;
  const name = (s: RegionMaxSite) => `(query ${s.query}, support ${s.support}, region ${s.region})`;
  for (const s of sites) {
    if (!inRange(s.query, queries) || !inRange(s.support, supports) || !inRange(s.region, regions))
      problems.push(
        `entry ${name(s)} outside ${queries} queries x ${supports} supports x ${regions} regions`,
      );
    else if (!inRange(s.winner, n) || !inRange(s.second, n))
      problems.push(`entry ${name(s)}: query regions ${s.winner} / ${s.second} outside [0, ${n})`);
  }
  throwIf(call, problems);
  const rows = sites.map((s) => (s.support * regions + s.region) * queries + s.query);
  return tf.tidy(() => {
    const values = tf.gather(tf.reshape(cos, [-1, n]), tf.tensor1d(rows, 'int32'));
    checks.add(call, values, (v) =>
      sites.flatMap((s, k) => {
        const row = v.subarray(k * n, (k + 1) * n);
        const top = row.reduce((a, b) => Math.max(a, b), -Infinity);
        const gap = Math.max(Math.abs(row[s.winner] - row[s.second]), top - row[s.winner]);
        return gap <= s.tolerance
          ? []
          : [`entry ${name(s)}: our gap ${gap.toExponential(3)} is no tie (tolerance ${s.tolerance})`];
      }),
    );
    const winners = new Int32Array(argmax.size);
    sites.forEach((s, k) => (winners[rows[k]] = s.winner));
    return tf.where(indexMask(argmax.shape, rows), tf.tensor(winners, argmax.shape, 'int32'), argmax);
  });
}
