/**
 * Failed `/session` logins, limited per client with a growing delay: the first few wrong tokens are free
 * (typos), then each further one locks that client out for twice as long as the last (1 s, 2 s, 4 s, ... up
 * to 5 minutes), and an attempt while locked is refused unchecked. A correct token clears the client's count.
 *
 * A client is what the request says it is (`x-forwarded-for`, which Next.js sets from the connection when
 * the caller did not): a caller that forges it gets a fresh name per request, so a second, global counter
 * with a higher allowance applies the same rule to every failure together. Guessing a long random token
 * (README: `RCN_API_TOKEN`) stays hopeless either way; this makes it slow as well.
 */
export interface LimitRule {
  /** Failures before the first delay. */
  free: number;
  /** The first delay; each further failure doubles it. */
  baseMs: number;
  maxMs: number;
  /** A client silent this long starts afresh. */
  forgetMs: number;
}

export const CLIENT_RULE: LimitRule = { free: 3, baseMs: 1000, maxMs: 5 * 60_000, forgetMs: 15 * 60_000 };
export const GLOBAL_RULE: LimitRule = { free: 30, baseMs: 1000, maxMs: 60_000, forgetMs: 15 * 60_000 };

interface Entry {
  failures: number;
  lockedUntil: number;
  last: number;
}

/** One counter per key under one rule; `now` is passed in (tests give their own clock). */
export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly rule: LimitRule) {}

  /** Milliseconds `key` must still wait before an attempt is checked; 0 when it may try now. */
  wait(key: string, now: number): number {
    const e = this.live(key, now);
    return e ? Math.max(0, e.lockedUntil - now) : 0;
  }

  /** Records a failure; returns the delay it starts (0 while failures are still free). */
  fail(key: string, now: number): number {
    const e = this.live(key, now) ?? { failures: 0, lockedUntil: 0, last: now };
    e.failures++;
    e.last = now;
    const over = e.failures - this.rule.free;
    const delay = over > 0 ? Math.min(this.rule.maxMs, this.rule.baseMs * 2 ** (over - 1)) : 0;
    e.lockedUntil = now + delay;
    this.entries.set(key, e);
    this.prune(now);
    return delay;
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && now - e.last > this.rule.forgetMs && now >= e.lockedUntil) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** Bounded memory: forgotten clients are dropped as new failures come in. */
  private prune(now: number): void {
    if (this.entries.size < 1000) return;
    for (const k of [...this.entries.keys()]) this.live(k, now);
  }
}

/** Both counters of the dashboard's logins: per client, and every failure together. */
export class LoginLimiter {
  private readonly clients = new FailureLimiter(CLIENT_RULE);
  private readonly all = new FailureLimiter(GLOBAL_RULE);

  wait(client: string, now = Date.now()): number {
    return Math.max(this.clients.wait(client, now), this.all.wait('', now));
  }

  fail(client: string, now = Date.now()): void {
    this.clients.fail(client, now);
    this.all.fail('', now);
  }

  succeed(client: string): void {
    this.clients.succeed(client);
  }
}

/** The client a request comes from, as far as the dashboard can tell. */
export function clientOf(req: Request): string {
  return req.headers.get('x-forwarded-for')?.split(',')[0]?.trim() || 'unknown';
}
