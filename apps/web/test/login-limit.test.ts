/**
 * The dashboard's login limiter (lib/login-limit.ts), on its own clock: free typos, then a delay per client
 * that doubles with each further wrong token, a global counter for callers that forge their address, and a
 * correct token that clears its client. The route itself is exercised by security.e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CLIENT_RULE, FailureLimiter, GLOBAL_RULE, LoginLimiter } from '../src/lib/login-limit';

describe('login limiter', () => {
  it('lets the first wrong tokens through, then doubles the wait with each further one', () => {
    const l = new FailureLimiter(CLIENT_RULE);
    let now = 0;
    const delays: number[] = [];
    for (let i = 0; i < CLIENT_RULE.free + 4; i++) {
      expect(l.wait('a', now)).toBe(0);
      delays.push(l.fail('a', now));
      // The next attempt is refused until the delay has passed, then checked again.
      if (delays.at(-1)! > 0) {
        expect(l.wait('a', now + delays.at(-1)! - 1)).toBe(1);
        now += delays.at(-1)!;
      }
    }
    expect(delays.slice(0, CLIENT_RULE.free)).toEqual(Array(CLIENT_RULE.free).fill(0));
    const growing = delays.slice(CLIENT_RULE.free);
    growing.forEach((d, i) => expect(d).toBe(CLIENT_RULE.baseMs * 2 ** i));
    // Another client is not held up; a success clears the count.
    expect(l.wait('b', now)).toBe(0);
    l.succeed('a');
    expect(l.fail('a', now)).toBe(0);
  });

  it('caps the delay and forgets a client that stopped trying', () => {
    const l = new FailureLimiter(CLIENT_RULE);
    let now = 0;
    let last = 0;
    for (let i = 0; i < 40; i++) {
      last = l.fail('a', now);
      now += last;
    }
    expect(last).toBe(CLIENT_RULE.maxMs);
    expect(l.fail('a', now + CLIENT_RULE.forgetMs + 1)).toBe(0);
  });

  it('every failure counts globally: forged client names do not escape the delay', () => {
    const l = new LoginLimiter();
    const now = 1_000_000;
    for (let i = 0; i < GLOBAL_RULE.free + 1; i++) l.fail(`forged-${i}`, now);
    expect(l.wait('someone-new', now)).toBe(GLOBAL_RULE.baseMs);
  });
});
