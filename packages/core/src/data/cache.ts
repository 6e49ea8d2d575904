/**
 * Decode cache: decoded images by key, least-recently-used eviction under a byte budget, and one decode
 * in flight per key (concurrent requests for the same image share it).
 */
export class DecodeCache {
  private readonly done = new Map<string, Uint8Array>();
  private readonly pending = new Map<string, Promise<Uint8Array>>();
  private used = 0;

  constructor(
    /** Budget in bytes; env RCN_DECODE_CACHE_MB overrides the default of 2 GiB. */
    readonly maxBytes = Number(process.env.RCN_DECODE_CACHE_MB ?? 2048) * 2 ** 20,
  ) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.done.size;
  }

  async get(key: string, decode: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const hit = this.done.get(key);
    if (hit) {
      // Re-insert: Map iteration order is our recency order.
      this.done.delete(key);
      this.done.set(key, hit);
      return hit;
    }
    const inflight = this.pending.get(key);
    if (inflight) return inflight;
    const p = decode().then(
      (img) => {
        this.pending.delete(key);
        this.put(key, img);
        return img;
      },
      (e: unknown) => {
        this.pending.delete(key);
        throw e;
      },
    );
    this.pending.set(key, p);
    return p;
  }

  clear(): void {
    this.done.clear();
    this.used = 0;
  }

  private put(key: string, img: Uint8Array): void {
    if (img.byteLength > this.maxBytes) return;
    this.done.set(key, img);
    this.used += img.byteLength;
    for (const [k, v] of this.done) {
      if (this.used <= this.maxBytes) break;
      this.done.delete(k);
      this.used -= v.byteLength;
    }
  }
}
