'use client';
import { useEffect, useMemo, useRef, useState } from 'react';
import { inkOn, viridisCss } from '@/lib/colormap';
import { confusionCsv, topConfusions } from '@/lib/confusion';
import { pct, shortName } from '@/lib/format';
import { ViridisLegend } from './common';

/** Above this many classes the matrix is drawn on a canvas (a table would be millions of DOM nodes). */
export const TABLE_MAX_CLASSES = 60;

function normalised(matrix: number[][]): number[][] {
  return matrix.map((r) => {
    const total = r.reduce((a, b) => a + b, 0);
    return r.map((v) => (total > 0 ? v / total : 0));
  });
}

/** Row-normalised confusion matrix (rows: true class, columns: predicted), viridis with a legend. */
export function ConfusionMatrix({
  classes,
  matrix,
  names,
}: {
  classes: string[];
  matrix: number[][];
  names: Map<string, string>;
}) {
  const label = (id: string) => shortName(names.get(id) ?? id);
  const header = (
    <div className="row" style={{ marginBottom: 6 }}>
      <ViridisLegend min={0} max={1} label="share of the row's queries" />
      <span className="muted small">Rows: true class · columns: predicted class</span>
    </div>
  );
  if (classes.length > TABLE_MAX_CLASSES)
    return (
      <div>
        {header}
        <LargeConfusion classes={classes} matrix={matrix} label={label} />
      </div>
    );
  const rows = normalised(matrix);
  const small = classes.length > 24;
  return (
    <div>
      {header}
      <div className="table-wrap">
        <table className="cm" aria-label="Confusion matrix">
          <thead>
            <tr>
              <th scope="col">true ↓ / predicted →</th>
              {classes.map((c) => (
                <th key={c} scope="col" className="col" title={names.get(c) ?? c}>
                  {label(c)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {classes.map((c, i) => (
              <tr key={c}>
                <th scope="row" title={names.get(c) ?? c}>
                  {label(c)}
                </th>
                {rows[i].map((t, j) => (
                  <td
                    key={j}
                    style={{
                      background: viridisCss(t),
                      color: inkOn(t),
                      width: small ? 14 : 22,
                      height: small ? 14 : 22,
                    }}
                    title={`true ${label(c)}, predicted ${label(classes[j])}: ${matrix[i][j]} (${(100 * t).toFixed(0)}%)`}
                  >
                    {small ? '' : matrix[i][j] || ''}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/**
 * Thousands of classes: the most confused pairs as a table, the whole matrix as one canvas image (a pixel
 * per cell, hover names the cell), and the counts as a CSV download.
 */
function LargeConfusion({
  classes,
  matrix,
  label,
}: {
  classes: string[];
  matrix: number[][];
  label: (id: string) => string;
}) {
  const pairs = useMemo(() => topConfusions(matrix, 20), [matrix]);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<string | null>(null);
  const n = classes.length;
  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    const img = ctx.createImageData(n, n);
    const rgb = document.createElement('canvas').getContext('2d');
    // viridisCss gives CSS colours; sample it on a 256-entry table once.
    const lut: number[][] = [];
    for (let k = 0; k < 256; k++) {
      if (rgb) {
        rgb.fillStyle = viridisCss(k / 255);
        rgb.fillRect(0, 0, 1, 1);
        lut.push([...rgb.getImageData(0, 0, 1, 1).data.slice(0, 3)]);
      } else lut.push([k, k, k]);
    }
    for (let i = 0; i < n; i++) {
      const row = matrix[i];
      let total = 0;
      for (const v of row) total += v;
      for (let j = 0; j < n; j++) {
        const [r, g, b] = lut[total ? Math.round((255 * row[j]) / total) : 0];
        const o = 4 * (i * n + j);
        img.data[o] = r;
        img.data[o + 1] = g;
        img.data[o + 2] = b;
        img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
  }, [matrix, n]);
  const download = () => {
    const url = URL.createObjectURL(new Blob([confusionCsv(classes, matrix)], { type: 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'confusion.csv';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div data-testid="confusion-large">
      <h4>Most confused pairs</h4>
      <div className="table-wrap">
        <table aria-label="Most confused pairs">
          <thead>
            <tr>
              <th>True class</th>
              <th>Predicted as</th>
              <th className="num">Queries</th>
              <th className="num">Share</th>
            </tr>
          </thead>
          <tbody>
            {pairs.map((p) => (
              <tr key={`${p.true}-${p.predicted}`}>
                <td title={classes[p.true]}>{label(classes[p.true])}</td>
                <td title={classes[p.predicted]}>{label(classes[p.predicted])}</td>
                <td className="num">{p.count}</td>
                <td className="num">{pct(p.share, 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h4>
        Full matrix ({n} × {n}){' '}
        <button type="button" onClick={download}>
          Download CSV
        </button>
      </h4>
      <canvas
        ref={canvas}
        width={n}
        height={n}
        aria-label={`Confusion matrix of ${n} classes`}
        style={{ width: '100%', maxWidth: 600, imageRendering: 'pixelated', border: '1px solid #ccc' }}
        onMouseMove={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          const j = Math.floor(((e.clientX - r.left) / r.width) * n);
          const i = Math.floor(((e.clientY - r.top) / r.height) * n);
          if (i >= 0 && j >= 0 && i < n && j < n)
            setHover(`true ${label(classes[i])}, predicted ${label(classes[j])}: ${matrix[i][j]}`);
        }}
        onMouseLeave={() => setHover(null)}
      />
      <p className="small muted" aria-live="polite">
        {hover ?? 'Hover the matrix to name a cell.'}
      </p>
    </div>
  );
}
