/**
 * A small seeded PRNG (sfc32, by Chris Doty-Humphrey, from PractRand) with a splitmix-style seeder.
 * Plain 32-bit integer arithmetic, so the same keys give the same numbers on any machine and engine.
 * The whole state is four uint32 words: `getState()` / `setState()` let a trainer resume a stream exactly.
 */

/** Serialisable generator state: the four sfc32 words. */
export interface RngState {
  readonly s: readonly [number, number, number, number];
}

/** murmur3's 32-bit finaliser: a strong avalanche on one word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Splits a safe integer into its low and high 32-bit words (two's complement for negatives). */
function words(key: number): [number, number] {
  if (!Number.isSafeInteger(key)) throw new Error(`rng key must be a safe integer, got ${key}`);
  const lo = key >>> 0;
  const hi = Math.floor(key / 0x1_0000_0000) >>> 0;
  return [lo, hi];
}

export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  private constructor() {}

  /**
   * A stream determined by a list of integer keys, e.g. `Rng.fromKeys(seed, episodeIndex)`.
   * Different key lists give independent-looking streams; no iteration over earlier indices is needed.
   */
  static fromKeys(...keys: number[]): Rng {
    let h = 0x9e3779b9 ^ keys.length;
    for (const k of keys) {
      const [lo, hi] = words(k);
      h = fmix32((h ^ lo) + 0x7f4a7c15);
      h = fmix32((h ^ hi) + 0x165667b1);
    }
    const r = new Rng();
    r.a = fmix32(h + 0x243f6a88);
    r.b = fmix32(h + 0x85a308d3);
    r.c = fmix32(h + 0x13198a2e);
    r.d = 1; // sfc32's counter; never zero-state
    for (let i = 0; i < 12; i++) r.nextU32(); // warm up: decorrelate nearby seeds
    return r;
  }

  static fromState(state: RngState): Rng {
    const r = new Rng();
    r.setState(state);
    return r;
  }

  getState(): RngState {
    return { s: [this.a, this.b, this.c, this.d] };
  }

  setState(state: RngState): void {
    const s = state?.s;
    if (
      !Array.isArray(s) ||
      s.length !== 4 ||
      s.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    ) {
      throw new Error(`invalid RngState ${JSON.stringify(state)}: expected { s: [four uint32] }`);
    }
    [this.a, this.b, this.c, this.d] = s;
  }

  /** A child stream keyed by `key`; this stream is not advanced. */
  fork(key: number): Rng {
    return Rng.fromKeys(this.a, this.b, this.c, this.d, key);
  }

  /** Next uint32. */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) >>> 0;
    this.a = (this.b ^ (this.b >>> 9)) >>> 0;
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1), 53 random bits. */
  float(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x1_0000_0000)
      throw new Error(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /** True with probability p. */
  bool(p = 0.5): boolean {
    return this.float() < p;
  }

  /** Shuffles in place (Fisher-Yates) and returns the array. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }

  /** k distinct indices from [0, n), in random order (partial Fisher-Yates). */
  sample(n: number, k: number): number[] {
    if (k > n || k < 0) throw new Error(`Rng.sample: cannot draw ${k} distinct items from ${n}`);
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    return idx.slice(0, k);
  }
}
