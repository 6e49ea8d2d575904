import { describe, expect, it } from 'vitest';
import { defaultLogEvery } from '../../src/train/trainer.js';
import { assertRunId } from '../../src/paths/index.js';
import { newRunId } from '../../src/train/run-dir.js';

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

describe('run ids', () => {
  it('a dataset given as a folder path names the run by its last folder, in valid characters', () => {
    const at = new Date('2026-11-30T05:00:00.123Z');
    const id = newRunId({ method: 'rcn', dataset: '/home/me/My Faces (pgm)/', way: 5, shot: 1 }, at);
    expect(id).toBe('20261130T050000Z-rcn-My_Faces__pgm_-5w1s');
    expect(() => assertRunId(id)).not.toThrow();
    expect(newRunId({ method: 'rcn', dataset: 'omniglot', way: 5, shot: 1 }, at)).toBe(
      '20261130T050000Z-rcn-omniglot-5w1s',
    );
  });
});
