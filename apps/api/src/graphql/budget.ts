/**
 * Per-client fairness for model work: a token bucket of work units per client (refilled continuously over
 * a minute) and a bound on the model requests each client may have waiting or running. One client that
 * floods is refused at once, and its requests never fill the inference queue ahead of everyone else's.
 */
import { ErrorCode, apiError } from './errors.js';

interface Bucket {
  tokens: number;
  at: number;
  pending: number;
}

/** Clients remembered at most; idle full buckets are forgotten first. */
const MAX_CLIENTS = 10_000;

export class ClientBudget {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perMinute: number,
    private readonly maxPending: number,
    private readonly now: () => number = Date.now,
  ) {}

  private bucket(client: string): Bucket {
    const t = this.now();
    let b = this.buckets.get(client);
    if (!b) {
      if (this.buckets.size >= MAX_CLIENTS) this.forgetIdle();
      b = { tokens: this.perMinute, at: t, pending: 0 };
      this.buckets.set(client, b);
    }
    b.tokens = Math.min(this.perMinute, b.tokens + ((t - b.at) / 60_000) * this.perMinute);
    b.at = t;
    return b;
  }

  private forgetIdle(): void {
    for (const [k, b] of this.buckets) if (b.pending === 0) this.buckets.delete(k);
  }

  /**
   * Takes `work` units and one pending slot for `client`, or throws RATE_LIMITED (budget spent; says when
   * to retry) or SERVER_BUSY (too many of its requests in flight). The returned function frees the slot.
   */
  acquire(client: string, work: number): () => void {
    const b = this.bucket(client);
    if (b.pending >= this.maxPending)
      throw apiError(
        ErrorCode.SERVER_BUSY,
        `${b.pending} model requests of yours are already waiting or running (limit ${this.maxPending}); wait for them`,
        { limit: this.maxPending },
      );
    if (work > b.tokens) {
      const retryAfter = Math.ceil(((work - b.tokens) / this.perMinute) * 60);
      throw apiError(
        ErrorCode.RATE_LIMITED,
        `this request needs ${work} work units; your budget has ${Math.floor(b.tokens)} of ${this.perMinute} per minute left (retry in ${retryAfter} s)`,
        { work, retryAfter },
      );
    }
    b.tokens -= work;
    b.pending++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      b.pending--;
    };
  }
}
