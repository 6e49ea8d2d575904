/**
 * Where each region of the model sits in the input image. Every backbone layer maps output index i to an
 * affine position in its input, so a feature cell's receptive-field centre is `start + i * stride` and its
 * extent `rf` pixels, in continuous pixel coordinates (pixel p spans [p, p + 1)). Valid convolutions shift
 * the grid inwards, so a naive "stretch the grid over the image" resize is off by up to half a cell (Conv4
 * on 28 px: cell centres at 5, 9, ..., 21, not 2.8, 8.4, ...). Regions then average the cells of their
 * adaptive-pool bins.
 */
import { featureMapSize, type ModelConfig } from '../config.js';
import { adaptiveBins } from './region-grid.js';

/**
 * THE box convention of RCN Studio (core, API and web alike): integer image pixels, top-left corner
 * (`x` column, `y` row) and size, covering columns [x, x + width) and rows [y, y + height). The GraphQL
 * schema's `Box` and the web's drawings use the same fields.
 */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One spatial layer of a backbone, as far as geometry goes. */
export interface SpatialLayer {
  kind: 'conv' | 'pool';
  kernel: number;
  stride: number;
  /** `same`: symmetric zero padding of (kernel - 1) / 2 (odd kernels, stride 1 as used here). */
  padding: 'valid' | 'same';
}

/** Feature-cell lattice along one axis, in input pixels. */
export interface CellLattice {
  /** Number of cells. */
  size: number;
  /** Receptive-field centre of cell 0. */
  start: number;
  /** Distance between neighbouring cells' centres. */
  stride: number;
  /** Receptive-field side. */
  rf: number;
}

/** Region placement along one axis. */
export interface AxisRegions {
  /** Receptive-field centre of each region row (or column), in pixels. */
  centres: number[];
  /** Union of its cells' receptive fields, clipped to the image: [from, to). */
  extents: [number, number][];
  /** A partition of [0, imageSize) into integer pixel tiles, one per region, split halfway between centres. */
  tiles: [number, number][];
}

/** Where the regions of a model lie in its input images (separable: rows and columns). */
export interface RegionGeometry {
  imageSize: number;
  /** Region grid: gridH rows by gridW columns, row-major region index k = i * gridW + j. */
  gridH: number;
  gridW: number;
  rows: AxisRegions;
  cols: AxisRegions;
  /** Feature cells along one axis. */
  cells: CellLattice;
}

const conv3 = (padding: 'valid' | 'same'): SpatialLayer => ({ kind: 'conv', kernel: 3, stride: 1, padding });
const pool2: SpatialLayer = { kind: 'pool', kernel: 2, stride: 2, padding: 'valid' };

/** Spatial layers of a backbone (ResNet-12's 1x1 shortcuts do not change the geometry). */
export function backboneLayers(backbone: ModelConfig['backbone']): SpatialLayer[] {
  if (backbone === 'conv4')
    return [conv3('valid'), pool2, conv3('valid'), pool2, conv3('same'), conv3('same')];
  const block = [conv3('same'), conv3('same'), conv3('same'), pool2];
  return [...block, ...block, ...block, ...block];
}

/** Composes the layers into the lattice of the last layer's cells on an input of `inputSize` pixels. */
export function cellLattice(layers: readonly SpatialLayer[], inputSize: number): CellLattice {
  let start = 0.5;
  let stride = 1;
  let rf = 1;
  let size = inputSize;
  for (const l of layers) {
    // Output i reads inputs i*s - pad .. i*s - pad + kernel - 1; its centre is their mean.
    const pad = l.padding === 'same' ? (l.kernel - 1) / 2 : 0;
    start += stride * ((l.kernel - 1) / 2 - pad);
    rf += (l.kernel - 1) * stride;
    size = l.padding === 'same' ? Math.ceil(size / l.stride) : Math.floor((size - l.kernel) / l.stride) + 1;
    stride *= l.stride;
  }
  return { size, start, stride, rf };
}

function axisRegions(cells: CellLattice, bins: [number, number][], imageSize: number): AxisRegions {
  const centres: number[] = [];
  const extents: [number, number][] = [];
  for (const [a, b] of bins) {
    // Adaptive average pooling weighs its cells equally, so the region sits at their mean centre.
    const c0 = cells.start + a * cells.stride;
    const c1 = cells.start + (b - 1) * cells.stride;
    centres.push((c0 + c1) / 2);
    extents.push([Math.max(0, c0 - cells.rf / 2), Math.min(imageSize, c1 + cells.rf / 2)]);
  }
  const tiles: [number, number][] = [];
  let from = 0;
  centres.forEach((_c, i) => {
    const to = i === centres.length - 1 ? imageSize : Math.round((centres[i] + centres[i + 1]) / 2);
    tiles.push([from, Math.max(from, Math.min(imageSize, to))]);
    from = tiles[i][1];
  });
  return { centres, extents, tiles };
}

/** The regions' geometry for a model configuration (square images). */
export function regionGeometry(
  cfg: Pick<ModelConfig, 'backbone' | 'imageSize' | 'regionGrid'>,
): RegionGeometry {
  const cells = cellLattice(backboneLayers(cfg.backbone), cfg.imageSize);
  const [fh] = featureMapSize(cfg);
  if (cells.size !== fh) throw new Error(`geometry: lattice has ${cells.size} cells, the model ${fh}`);
  let bins: [number, number][];
  if (cfg.regionGrid === 'none') bins = Array.from({ length: fh }, (_v, i): [number, number] => [i, i + 1]);
  else if (cfg.regionGrid === 'global') bins = [[0, fh]];
  else bins = adaptiveBins(fh, cfg.regionGrid);
  const axis = axisRegions(cells, bins, cfg.imageSize);
  return { imageSize: cfg.imageSize, gridH: bins.length, gridW: bins.length, rows: axis, cols: axis, cells };
}

/** Region index k -> (row, column). */
export function regionCell(geom: RegionGeometry, k: number): [number, number] {
  return [Math.floor(k / geom.gridW), k % geom.gridW];
}

/** Region k's tile as a pixel box (the tiles partition the image). */
export function regionTile(geom: RegionGeometry, k: number): Box {
  const [i, j] = regionCell(geom, k);
  const [y0, y1] = geom.rows.tiles[i];
  const [x0, x1] = geom.cols.tiles[j];
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * The region grid flattened to plain numbers, as the API's `RegionGrid` and the dashboard draw it:
 * clients place regions where the model sees them instead of stretching the grid over the image.
 */
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

export function gridGeometry(g: RegionGeometry): GridGeometry {
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

/**
 * A square patch around region k for galleries: centred on its receptive-field centre, `scale` grid cells
 * wide (the full receptive field of a Conv4 cell covers almost a 28 px image, so it would show nothing
 * specific; edge tiles run to the border, so the grid pitch sets the side, not the tile).
 */
export function regionPatchBox(geom: RegionGeometry, k: number, scale = 2.5): Box {
  const [i, j] = regionCell(geom, k);
  const pitch = geom.imageSize / Math.max(geom.gridH, geom.gridW);
  const side = Math.min(geom.imageSize, Math.max(8, Math.round(scale * pitch)));
  const place = (c: number) => {
    const from = Math.min(geom.imageSize - side, Math.max(0, Math.round(c - side / 2)));
    return [from, from + side] as const;
  };
  const [y0] = place(geom.rows.centres[i]);
  const [x0] = place(geom.cols.centres[j]);
  return { x: x0, y: y0, width: side, height: side };
}

/** Linear interpolation weights of position u on sorted `centres`, clamped beyond the ends. */
function interp(centres: readonly number[], u: number): [number, number, number] {
  const n = centres.length;
  if (n === 1 || u <= centres[0]) return [0, 0, 0];
  if (u >= centres[n - 1]) return [n - 1, n - 1, 0];
  let i = 0;
  while (centres[i + 1] < u) i++;
  return [i, i + 1, (u - centres[i]) / (centres[i + 1] - centres[i])];
}

/**
 * A region map [gridH * gridW] upsampled to `outSize` x `outSize` pixels (the image scaled by
 * outSize / imageSize): bilinear between region centres, constant beyond the outermost ones.
 */
export function upsampleRegionMap(
  map: ArrayLike<number>,
  geom: RegionGeometry,
  outSize: number,
): Float32Array {
  if (map.length !== geom.gridH * geom.gridW)
    throw new Error(`geometry: map has ${map.length} values for a ${geom.gridH}x${geom.gridW} grid`);
  const s = outSize / geom.imageSize;
  const ys = Array.from({ length: outSize }, (_v, y) => interp(geom.rows.centres, (y + 0.5) / s));
  const xs = Array.from({ length: outSize }, (_v, x) => interp(geom.cols.centres, (x + 0.5) / s));
  const out = new Float32Array(outSize * outSize);
  const w = geom.gridW;
  for (let y = 0; y < outSize; y++) {
    const [i0, i1, fy] = ys[y];
    for (let x = 0; x < outSize; x++) {
      const [j0, j1, fx] = xs[x];
      const top = map[i0 * w + j0] * (1 - fx) + map[i0 * w + j1] * fx;
      const bottom = map[i1 * w + j0] * (1 - fx) + map[i1 * w + j1] * fx;
      out[y * outSize + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Averages a feature-cell map [h * w] into the model's regions (the adaptive pool's bins). */
export function cellsToRegions(
  cellMap: ArrayLike<number>,
  cfg: Pick<ModelConfig, 'backbone' | 'imageSize' | 'regionGrid'>,
): Float32Array {
  const [fh, fw] = featureMapSize(cfg);
  if (cellMap.length !== fh * fw)
    throw new Error(`geometry: cell map has ${cellMap.length} values, expected ${fh * fw}`);
  if (cfg.regionGrid === 'none') return Float32Array.from(cellMap);
  const rows = cfg.regionGrid === 'global' ? [[0, fh] as [number, number]] : adaptiveBins(fh, cfg.regionGrid);
  const cols = cfg.regionGrid === 'global' ? [[0, fw] as [number, number]] : adaptiveBins(fw, cfg.regionGrid);
  const out = new Float32Array(rows.length * cols.length);
  rows.forEach(([y0, y1], i) =>
    cols.forEach(([x0, x1], j) => {
      let s = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += cellMap[y * fw + x];
      out[i * cols.length + j] = s / ((y1 - y0) * (x1 - x0));
    }),
  );
  return out;
}
