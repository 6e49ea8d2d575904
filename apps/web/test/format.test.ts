/** Class names and confusion summaries as the dashboard shows them (no browser). */
import { describe, expect, it } from 'vitest';
import { confusionCsv, topConfusions } from '../src/lib/confusion';
import { shortName } from '../src/lib/format';

describe('class names', () => {
  it('Omniglot keeps alphabet, character and rotation; ImageNet names keep their first synonym', () => {
    expect(shortName('Greek, character03')).toBe('Greek #03');
    expect(shortName('Greek, character03, rotated 90°')).toBe('Greek #03 ↻90°');
    expect(shortName('Anglo-Saxon Futhorc, character12, rotated 270°')).toBe('Anglo-Saxon Futhorc #12 ↻270°');
    expect(shortName('Kannada, character01')).not.toBe(shortName('Kannada, character02'));
    expect(shortName('hog, pig, grunter')).toBe('hog');
    expect(shortName('house finch')).toBe('house finch');
  });
});

describe('confusion summaries', () => {
  it('top-k off-diagonal cells by count, with the share of the true class', () => {
    const m = [
      [5, 3, 0],
      [1, 2, 7],
      [0, 3, 1],
    ];
    expect(topConfusions(m, 2)).toEqual([
      { true: 1, predicted: 2, count: 7, share: 0.7 },
      { true: 0, predicted: 1, count: 3, share: 3 / 8 },
    ]);
    expect(topConfusions(m, 10)).toHaveLength(4);
    expect(topConfusions([[4]], 3)).toEqual([]);
  });

  it('CSV with class ids, quoted where needed', () => {
    expect(
      confusionCsv(
        ['a', 'b,c'],
        [
          [1, 0],
          [2, 3],
        ],
      ),
    ).toBe('true \\ predicted,a,"b,c"\na,1,0\n"b,c",2,3\n');
  });
});
