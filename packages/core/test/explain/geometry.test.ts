/** Region geometry, colour map, k-means and curve arithmetic: no model needed. */
import { describe, expect, it } from 'vitest';
import { auc, rankRegions } from '../../src/explain/faithfulness.js';
import {
  cellLattice,
  backboneLayers,
  cellsToRegions,
  regionGeometry,
  regionPatchBox,
  regionTile,
  upsampleRegionMap,
} from '../../src/model/methods/geometry.js';
import { colorize, viridis, viridisHex } from '../../src/explain/colormap.js';
import { kmeans } from '../../src/explain/kmeans.js';
import { Rng } from '../../src/util/rng.js';

describe('receptive-field geometry', () => {
  it('Conv4 on 28 px: 5x5 cells at 5, 9, ..., 21 (valid convs shift the grid), receptive field 26', () => {
    const g = regionGeometry({ backbone: 'conv4', imageSize: 28, regionGrid: 5 });
    expect(g.cells).toEqual({ size: 5, start: 5, stride: 4, rf: 26 });
    expect(g.rows.centres).toEqual([5, 9, 13, 17, 21]);
    // Tiles partition the image, split halfway between centres.
    expect(g.rows.tiles).toEqual([
      [0, 7],
      [7, 11],
      [11, 15],
      [15, 19],
      [19, 28],
    ]);
    expect(regionTile(g, 7)).toEqual({ x: 11, y: 7, width: 4, height: 4 });
  });

  it('Conv4 on 84 px: 19 cells pooled by PyTorch adaptive bins to 5 regions at their mean centres', () => {
    const g = regionGeometry({ backbone: 'conv4', imageSize: 84, regionGrid: 5 });
    expect(g.cells.size).toBe(19);
    // Bins [0,4) [3,8) [7,12) [11,16) [15,19) over cells at 5 + 4i.
    expect(g.rows.centres).toEqual([11, 25, 41, 57, 71]);
    expect(g.rows.extents[0]).toEqual([0, 30]);
  });

  it('ResNet-12 on 84 px: same-padded convs and four pools, each cell a region', () => {
    const lat = cellLattice(backboneLayers('resnet12'), 84);
    expect(lat).toEqual({ size: 5, start: 8, stride: 16, rf: 1 + 2 * (1 + 2 + 4 + 8) * 3 + (1 + 2 + 4 + 8) });
    const g = regionGeometry({ backbone: 'resnet12', imageSize: 84, regionGrid: 'none' });
    expect(g.rows.centres).toEqual([8, 24, 40, 56, 72]);
  });

  it('upsampling interpolates between region centres and is constant beyond them', () => {
    const g = regionGeometry({ backbone: 'conv4', imageSize: 28, regionGrid: 5 });
    // A map that is the column index: at pixel centre x + 0.5 the value is (x + 0.5 - 5) / 4, clamped.
    const map = Array.from({ length: 25 }, (_v, k) => k % 5);
    const up = upsampleRegionMap(map, g, 28);
    for (const x of [0, 3, 4, 5, 12, 13, 20, 21, 27])
      expect(up[10 * 28 + x]).toBeCloseTo(Math.min(4, Math.max(0, (x + 0.5 - 5) / 4)), 5);
    // At 4x magnification the same geometry scales.
    const up4 = upsampleRegionMap(map, g, 112);
    expect(up4[50 * 112 + 52]).toBeCloseTo((52.5 / 4 - 5) / 4, 5);
  });

  it('cellsToRegions averages the adaptive bins; patch boxes stay inside the image', () => {
    const cells = Array.from({ length: 19 * 19 }, (_v, i) => Math.floor(i / 19));
    const r = cellsToRegions(cells, { backbone: 'conv4', imageSize: 84, regionGrid: 5 });
    expect(Array.from(r.slice(0, 5))).toEqual([1.5, 1.5, 1.5, 1.5, 1.5]);
    const g = regionGeometry({ backbone: 'conv4', imageSize: 28, regionGrid: 5 });
    for (let k = 0; k < 25; k++) {
      const b = regionPatchBox(g, k);
      expect(b.y).toBeGreaterThanOrEqual(0);
      expect(b.x + b.width).toBeLessThanOrEqual(28);
      expect(b.height).toBe(b.width);
    }
    // The tiles (x, y, width, height) partition the image: every pixel is covered exactly once.
    const covered = new Uint8Array(28 * 28);
    for (let k = 0; k < 25; k++) {
      const t = regionTile(g, k);
      for (let y = t.y; y < t.y + t.height; y++)
        for (let x = t.x; x < t.x + t.width; x++) covered[y * 28 + x]++;
    }
    expect(covered.every((c) => c === 1)).toBe(true);
  });
});

describe('viridis', () => {
  it("matches matplotlib's endpoints and midpoint", () => {
    expect(viridisHex(0)).toBe('#440154');
    expect(viridisHex(1)).toBe('#fde725');
    expect(viridis(0.5)).toEqual([33, 145, 140]);
    expect(Array.from(colorize([0, 1], { min: 0, max: 1 }))).toEqual([68, 1, 84, 253, 231, 37]);
  });

  it('is monotone in lightness (perceptually ordered)', () => {
    const lum = (t: number) => {
      const [r, g, b] = viridis(t);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    for (let i = 1; i <= 20; i++) expect(lum(i / 20)).toBeGreaterThan(lum((i - 1) / 20));
  });
});

describe('k-means and curves', () => {
  it('k-means separates clear clusters, deterministically for a seed', () => {
    const rng = Rng.fromKeys(3);
    const pts = Array.from({ length: 60 }, (_v, i) =>
      Float32Array.from([10 * (i % 3) + rng.uniform(-1, 1), rng.uniform(-1, 1)]),
    );
    const a = kmeans(pts, 3, { seed: 1 });
    const b = kmeans(pts, 3, { seed: 1 });
    expect(Array.from(a.assignments)).toEqual(Array.from(b.assignments));
    for (let i = 3; i < 60; i++) expect(a.assignments[i]).toBe(a.assignments[i % 3]);
    expect(new Set(a.assignments).size).toBe(3);
  });

  it('auc is the trapezoid rule; rankRegions sorts descending with seeded tie-breaks', () => {
    expect(auc([0, 0.5, 1], [1, 0.5, 0])).toBeCloseTo(0.5);
    expect(auc([0, 1], [1, 1])).toBe(1);
    expect(rankRegions([0.1, 0.9, 0.5], Rng.fromKeys(1))).toEqual([1, 2, 0]);
    const t1 = rankRegions([0, 0, 0, 0, 1], Rng.fromKeys(7));
    expect(t1[0]).toBe(4);
    expect(rankRegions([0, 0, 0, 0, 1], Rng.fromKeys(7))).toEqual(t1);
  });
});
