/**
 * Promises cached by key: concurrent and later callers share one load, and a load that fails is dropped,
 * so the next call tries again instead of getting the old error. With `max`, the oldest entries are
 * dropped beyond it (oldest by insertion, or by last use with `refreshOnHit`), each passed to `onEvict`.
 */
export interface PromiseCacheOptions<V> {
  max?: number;
  /** A hit makes its entry the newest (least-recently-used eviction). */
  refreshOnHit?: boolean;
  /** An entry dropped to stay within `max` (not one dropped on failure). */
  onEvict?: (value: Promise<V>) => void;
}

export class PromiseCache<K, V> {
  private readonly entries = new Map<K, Promise<V>>();

  constructor(private readonly opts: PromiseCacheOptions<V> = {}) {}

  get size(): number {
    return this.entries.size;
  }

  /** The promise under `key`, from `load()` when there is none. */
  get(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit) {
      if (this.opts.refreshOnHit) {
        this.entries.delete(key);
        this.entries.set(key, hit);
      }
      return hit;
    }
    const p = load();
    // Only this load's failure drops the entry: a newer one under the same key stays.
    p.catch(() => {
      if (this.entries.get(key) === p) this.entries.delete(key);
    });
    this.entries.set(key, p);
    const max = this.opts.max ?? Infinity;
    for (const [k, v] of this.entries) {
      if (this.entries.size <= max) break;
      this.entries.delete(k);
      this.opts.onEvict?.(v);
    }
    return p;
  }

  /** Every entry but `key`'s dropped, each passed to `onEvict` (a cache of one thing at a time). */
  keepOnly(key: K): void {
    for (const [k, v] of this.entries) {
      if (k === key) continue;
      this.entries.delete(k);
      this.opts.onEvict?.(v);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
