/** The JSON scalar gives what a JSON round trip gives, without copying values that need no change. */
import { describe, expect, it } from 'vitest';
import { plainJson } from '../src/graphql/plain-json.js';

const roundTrip = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe('plainJson', () => {
  it('equals a JSON round trip on configs, matrices and odd values', () => {
    const cases: unknown[] = [
      { a: 1, b: 'x', c: [1, 2, NaN], d: { e: Infinity, f: undefined, g: null }, h: true },
      [
        [1, 2],
        [3, -Infinity],
      ],
      [undefined, 1, { z: undefined }],
      { when: new Date(0), nested: { at: new Date(1000) } },
      {
        classes: ['a', 'b'],
        matrix: [
          [0, 1],
          [2, 3],
        ],
      },
      'text',
      0,
      null,
    ];
    for (const c of cases) expect(plainJson(c)).toEqual(roundTrip(c));
  });

  it('returns a clean matrix itself rather than a copy', () => {
    const matrix = Array.from({ length: 300 }, (_v, i) =>
      Array.from({ length: 300 }, (_w, j) => (i + j) % 7),
    );
    const report = { classes: matrix.map((_r, i) => String(i)), matrix };
    expect(plainJson(report)).toBe(report);
    const dirty = { classes: ['a'], matrix: [[1, NaN]] };
    const out = plainJson(dirty) as typeof dirty;
    expect(out).not.toBe(dirty);
    expect(out.matrix).toEqual([[1, null]]);
    expect(out.classes).toBe(dirty.classes);
    expect(dirty.matrix[0][1]).toBeNaN();
  });
});
