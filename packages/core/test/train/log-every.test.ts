import { describe, expect, it } from 'vitest';
import { defaultLogEvery } from '../../src/train/trainer.js';

describe('train metric lines', () => {
  it('short runs log often enough for a curve (~100 points), long ones every 50 episodes', () => {
    expect(defaultLogEvery(4)).toBe(1);
    expect(defaultLogEvery(100)).toBe(1);
    expect(defaultLogEvery(300)).toBe(3);
    expect(defaultLogEvery(2000)).toBe(20);
    expect(defaultLogEvery(60000)).toBe(50);
    for (const n of [10, 150, 999, 4999])
      expect(n / defaultLogEvery(n)).toBeGreaterThanOrEqual(Math.min(n, 50));
  });
});
