import { describe, expect, it } from 'vitest';
import { topConfusions } from '../../src/eval/index.js';

describe('most confused pairs', () => {
  it('the k largest off-diagonal cells by count, with the share of the true class', () => {
    const m = [
      [5, 3, 0],
      [1, 2, 7],
      [0, 3, 1],
    ];
    // Ties on count: the larger share first (3 of 4 beats 3 of 8), whatever the order met.
    expect(topConfusions(m, 2)).toEqual([
      { trueIndex: 1, predictedIndex: 2, count: 7, share: 0.7 },
      { trueIndex: 2, predictedIndex: 1, count: 3, share: 0.75 },
    ]);
    expect(topConfusions(m, 3)[2]).toEqual({ trueIndex: 0, predictedIndex: 1, count: 3, share: 3 / 8 });
    expect(topConfusions(m, 10)).toHaveLength(4);
    expect(topConfusions([[4]], 3)).toEqual([]);
    expect(topConfusions(m, 0)).toEqual([]);
  });
});
