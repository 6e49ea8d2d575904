/**
 * The region grid as the API reports it: core's receptive-field geometry (`regionGeometry`) flattened to
 * plain numbers, so clients draw regions where the model sees them instead of stretching the grid over
 * the image.
 */
import { regionTile, type RegionGeometry } from '@rcn/core';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GridGeometry {
  rows: number;
  cols: number;
  imageSize: number;
  /** Receptive-field centre of each region row / column, in image pixels (continuous coordinates). */
  rowCentres: number[];
  colCentres: number[];
  /** Side of one feature cell's receptive field, in pixels. */
  receptiveField: number;
  /** Region k's tile (row-major): the tiles partition the image, split halfway between region centres. */
  regions: Box[];
}

export function geometryOf(g: RegionGeometry): GridGeometry {
  const regions: Box[] = [];
  for (let k = 0; k < g.gridH * g.gridW; k++) {
    const t = regionTile(g, k);
    regions.push({ x: t.x0, y: t.y0, width: t.x1 - t.x0, height: t.y1 - t.y0 });
  }
  return {
    rows: g.gridH,
    cols: g.gridW,
    imageSize: g.imageSize,
    rowCentres: g.rows.centres,
    colCentres: g.cols.centres,
    receptiveField: g.cells.rf,
    regions,
  };
}

/** A core pixel box [y0, y1) x [x0, x1) as an API box. */
export function boxOf(b: { y0: number; y1: number; x0: number; x1: number }): Box {
  return { x: b.x0, y: b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0 };
}
