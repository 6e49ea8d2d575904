/** Progress output without a terminal: lines every 10% and at least every interval, ETA from the first value. */
import { describe, expect, it } from 'vitest';
import { formatEta, progressBar } from '../src/progress.js';

function fake() {
  let t = 0;
  const lines: string[] = [];
  return {
    lines,
    advance: (ms: number) => (t += ms),
    opts: { tty: false, now: () => t, write: (s: string) => void lines.push(s) },
  };
}

describe('progress lines (not a terminal)', () => {
  it('prints every tenth, and when the interval passed even without a new tenth', () => {
    const f = fake();
    const bar = progressBar('train', 1000, { ...f.opts, intervalMs: 30_000 });
    bar.update(1, { loss: '1.0' });
    f.advance(10_000);
    bar.update(2, { loss: '0.9' }); // same tenth, 10 s: silent
    f.advance(25_000);
    bar.update(3, { loss: '0.8' }); // same tenth, 35 s since the last line: printed
    bar.update(100, { loss: '0.7' }); // a new tenth
    bar.update(1000, { loss: '0.6' }); // the end, once
    bar.update(1000, { validating: '1/300' });
    bar.update(1000, { validating: '2/300' });
    bar.stop();
    expect(f.lines.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'train 1/1000',
      'train 3/1000',
      'train 100/1000',
      'train 1000/1000',
    ]);
    expect(f.lines[1]).toMatch(/loss 0\.8\n$/);
  });

  it("ETA: the caller's (a resumed run at once), else from the first value seen, not from 0", () => {
    const f = fake();
    const bar = progressBar('train', 1000, f.opts);
    bar.update(400, {}, 600); // first line after a resume at 400: the trainer's estimate
    expect(f.lines[0]).toBe('train 400/1000 ETA 10:00\n');
    const g = fake();
    const b2 = progressBar('eval', 600, g.opts);
    b2.update(300, {});
    g.advance(30_000);
    b2.update(360, {}); // 60 episodes in 30 s from 300: 240 left take 2 min
    expect(g.lines.at(-1)).toBe('eval 360/600 ETA 2:00\n');
    bar.stop();
    b2.stop();
    expect(formatEta(3725)).toBe('1:02:05');
    expect(formatEta(NaN)).toBe('-');
  });

  it('keeps printing while one step runs longer than the interval; notes get their own line', async () => {
    const lines: string[] = [];
    const bar = progressBar('train', 10, { tty: false, intervalMs: 40, write: (s) => void lines.push(s) });
    bar.update(1, { loss: '1.0' });
    await new Promise((r) => setTimeout(r, 150));
    bar.note('SIGINT: finishing the current step and saving a checkpoint');
    bar.stop();
    const n = lines.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(lines.length).toBe(n); // stopped: no more lines
    expect(
      lines.filter((l) => /^train 1\/10 .*\(working: \d+ s since this update\)\n$/.test(l)).length,
    ).toBeGreaterThan(0);
    expect(lines.at(-1)).toBe('SIGINT: finishing the current step and saving a checkpoint\n');
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
  });
});
