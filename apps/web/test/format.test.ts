/** Class names and confusion summaries as the dashboard shows them (no browser). */
import { describe, expect, it } from 'vitest';
import { confusionCsv } from '../src/lib/confusion';
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

describe('confusion matrix download', () => {
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
