'use client';
/**
 * An image with a region grid drawn over it in viridis. With `geometry` (the API's `RegionGrid`), each
 * region is drawn over its tile as the model's receptive fields place it; without, an even grid is
 * stretched over the image. With `onActive`, the map is one keyboard stop: arrow keys (or the pointer) move
 * the active region, which the parent can use to highlight matches.
 */
import { useState, type KeyboardEvent } from 'react';
import { viridisCss } from '@/lib/colormap';
import type { BoxFieldsFragment as Box, GridFieldsFragment as RegionGrid } from '@/gql/graphql';

export interface HeatmapProps {
  src: string;
  alt: string;
  rows: number;
  cols: number;
  /** Row-major, rows x cols; omitted: the image without overlay. */
  values?: number[];
  min?: number;
  max?: number;
  size?: number;
  alpha?: number;
  /** Boxes in image pixels (of an `imageSize` square image), drawn as outlines. */
  boxes?: Box[];
  imageSize?: number;
  /** The API's region geometry: cells are drawn over their tiles (and `imageSize` comes from it). */
  geometry?: RegionGrid | null;
  active?: number | null;
  onActive?: (region: number | null) => void;
  describe?: (region: number) => string;
  testId?: string;
}

export function Heatmap({
  src,
  alt,
  rows,
  cols,
  values,
  min,
  max,
  size = 128,
  alpha = 0.62,
  boxes,
  imageSize: imageSizeProp = 32,
  geometry,
  active = null,
  onActive,
  describe,
  testId,
}: HeatmapProps) {
  const [hover, setHover] = useState<number | null>(null);
  const tiles =
    geometry && geometry.regions.length === rows * cols && values?.length === geometry.regions.length
      ? geometry.regions
      : null;
  const imageSize = geometry?.imageSize ?? imageSizeProp;
  const pctBox = (b: Box) => ({
    left: `${(100 * b.x) / imageSize}%`,
    top: `${(100 * b.y) / imageSize}%`,
    width: `${(100 * b.width) / imageSize}%`,
    height: `${(100 * b.height) / imageSize}%`,
  });
  const lo = min ?? (values?.length ? Math.min(...values) : 0);
  const hi = max ?? (values?.length ? Math.max(...values) : 1);
  const span = hi - lo > 1e-12 ? hi - lo : 1;
  const interactive = Boolean(onActive);
  const current = active ?? hover;
  const set = (r: number | null) => {
    setHover(r);
    onActive?.(r);
  };
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const n = rows * cols;
    const at = current ?? 0;
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols };
    if (e.key in moves) {
      e.preventDefault();
      const next = current == null ? 0 : Math.min(n - 1, Math.max(0, at + moves[e.key]));
      set(next);
    } else if (e.key === 'Escape') set(null);
  };
  const label = current != null && describe ? describe(current) : '';
  return (
    <div
      className="heat"
      style={{ width: size, height: size }}
      data-testid={testId}
      tabIndex={interactive ? 0 : undefined}
      role={interactive ? 'group' : undefined}
      aria-label={interactive ? `${alt}. Use arrow keys to inspect regions.` : undefined}
      onKeyDown={interactive ? onKey : undefined}
      onMouseLeave={interactive ? () => set(null) : undefined}
      onBlur={interactive ? () => set(null) : undefined}
    >
      <img className="thumb" src={src} alt={interactive ? '' : alt} width={size} height={size} />
      {values && tiles ? (
        <div className="heat-grid tiled" aria-hidden="true" data-geometry="api">
          {values.map((v, k) => (
            <div
              key={k}
              className={`heat-cell${current === k ? ' active' : ''}`}
              style={{ ...pctBox(tiles[k]), background: viridisCss((v - lo) / span, alpha) }}
              onMouseEnter={interactive ? () => set(k) : undefined}
            />
          ))}
        </div>
      ) : values ? (
        <div
          className="heat-grid"
          style={{ gridTemplateColumns: `repeat(${cols}, 1fr)`, gridTemplateRows: `repeat(${rows}, 1fr)` }}
          aria-hidden="true"
        >
          {values.map((v, k) => (
            <div
              key={k}
              className={`heat-cell${current === k ? ' active' : ''}`}
              style={{ background: viridisCss((v - lo) / span, alpha) }}
              onMouseEnter={interactive ? () => set(k) : undefined}
            />
          ))}
        </div>
      ) : null}
      {boxes?.map((b, i) => (
        <div key={i} className="heat-box" style={pctBox(b)} />
      ))}
      {interactive ? (
        <span className="sr-only" aria-live="polite">
          {label}
        </span>
      ) : null}
    </div>
  );
}
