/**
 * The region grid as the API reports it: core's receptive-field geometry (`regionGeometry`) flattened to
 * plain numbers, so clients draw regions where the model sees them instead of stretching the grid over
 * the image. Boxes are core's `Box` (x, y, width, height in image pixels), as the schema's `Box`.
 */
import { regionTile, type Box, type RegionGeometry } from '@rcn/core';

export type { Box };

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
  return {
    rows: g.gridH,
    cols: g.gridW,
    imageSize: g.imageSize,
    rowCentres: g.rows.centres,
    colCentres: g.cols.centres,
    receptiveField: g.cells.rf,
    regions: Array.from({ length: g.gridH * g.gridW }, (_v, k) => regionTile(g, k)),
  };
}
