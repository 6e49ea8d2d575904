import { describe, expect, it } from 'vitest';
import { meanCi95, tCdf, tQuantile } from '../../src/eval/stats.js';

describe('Student t and the 95% confidence interval', () => {
  it('matches tabulated t(0.975, df) quantiles', () => {
    // Values from standard tables (e.g. scipy.stats.t.ppf(0.975, df)).
    const table: [number, number][] = [
      [1, 12.706204736],
      [2, 4.30265273],
      [5, 2.570581836],
      [9, 2.262157163],
      [29, 2.045229642],
      [99, 1.984216952],
      [599, 1.963932249],
    ];
    for (const [df, q] of table) expect(tQuantile(0.975, df)).toBeCloseTo(q, 7);
  });

  it('t CDF is symmetric and inverts the quantile', () => {
    for (const df of [1, 3, 30]) {
      expect(tCdf(0, df)).toBeCloseTo(0.5, 12);
      expect(tCdf(-1.3, df) + tCdf(1.3, df)).toBeCloseTo(1, 12);
      expect(tCdf(tQuantile(0.9, df), df)).toBeCloseTo(0.9, 10);
    }
  });

  it('mean and CI use the sample standard deviation and t(0.975, n-1)', () => {
    const v = [0.6, 0.8, 0.7, 0.9, 0.5];
    const r = meanCi95(v);
    const mean = 0.7;
    const sd = Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / 4);
    expect(r.mean).toBeCloseTo(mean, 12);
    expect(r.std).toBeCloseTo(sd, 12);
    expect(r.ci95).toBeCloseTo((2.776445105 * sd) / Math.sqrt(5), 8);
    expect(meanCi95([1]).ci95).toBe(0);
    expect(Number.isNaN(meanCi95([]).mean)).toBe(true);
  });
});
