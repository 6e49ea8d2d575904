'use client';
import { useEffect, useRef, useState } from 'react';
import { inkOn, viridisCss } from '@/lib/colormap';
import { confusionCsv } from '@/lib/confusion';
import { useGql } from '@/lib/gql';
import { RUN_EVALUATION_MATRIX } from '@/lib/queries';
import { confusionOf } from '@/lib/json';
import type { EvaluationFieldsFragment as Evaluation } from '@/gql/graphql';
import { pct, shortName } from '@/lib/format';
import { ErrorBox, ViridisLegend } from './common';

/**
 * Above this many classes (the run page's `confusion(maxClasses: 60)`) the matrix is not a table (that
 * would be millions of DOM nodes) but `LargeConfusion`.
 */
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
 * Thousands of classes: the most confused pairs (from the API) as a table; the whole matrix, fetched on
 * request, as one canvas image (a pixel per cell, hover names the cell) and a CSV download.
 */
export function LargeConfusion({
  runId,
  evaluation: e,
  names,
}: {
  runId: string;
  evaluation: Evaluation;
  names: Map<string, string>;
}) {
  const classes = e.classes.map((c) => c.id);
  const label = (id: string) => shortName(names.get(id) ?? id);
  const [want, setWant] = useState(false);
  const q = useGql(RUN_EVALUATION_MATRIX, { id: runId, name: e.name }, { pause: !want });
  const confusion = confusionOf(q.data?.run?.evaluations[0]?.confusion);
  return (
    <div data-testid="confusion-large">
      <div className="row" style={{ marginBottom: 6 }}>
        <ViridisLegend min={0} max={1} label="share of the row's queries" />
        <span className="muted small">Rows: true class · columns: predicted class</span>
      </div>
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
            {e.confusionPairs.map((p) => (
              <tr key={`${p.trueIndex}-${p.predictedIndex}`}>
                <td title={classes[p.trueIndex]}>{label(classes[p.trueIndex])}</td>
                <td title={classes[p.predictedIndex]}>{label(classes[p.predictedIndex])}</td>
                <td className="num">{p.count}</td>
                <td className="num">{pct(p.share, 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h4>
        Full matrix ({e.classCount} × {e.classCount})
      </h4>
      {confusion ? (
        <MatrixCanvas classes={confusion.classes} matrix={confusion.matrix} label={label} />
      ) : (
        <button type="button" onClick={() => setWant(true)} disabled={want}>
          {want ? 'Loading the matrix…' : 'Show the full matrix'}
        </button>
      )}
      <ErrorBox error={q.error} title="Confusion matrix" />
    </div>
  );
}

function MatrixCanvas({
  classes,
  matrix,
  label,
}: {
  classes: string[];
  matrix: number[][];
  label: (id: string) => string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<string | null>(null);
  const n = classes.length;
  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    const img = ctx.createImageData(n, n);
    // viridisCss gives CSS colours: sample it once into a 256-entry table.
    const probe = document.createElement('canvas').getContext('2d');
    const lut: number[][] = [];
    for (let k = 0; k < 256; k++) {
      if (probe) {
        probe.fillStyle = viridisCss(k / 255);
        probe.fillRect(0, 0, 1, 1);
        lut.push([...probe.getImageData(0, 0, 1, 1).data.slice(0, 3)]);
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
    <div>
      <button type="button" onClick={download}>
        Download CSV
      </button>
      <canvas
        ref={canvas}
        width={n}
        height={n}
        aria-label={`Confusion matrix of ${n} classes`}
        style={{
          display: 'block',
          width: '100%',
          maxWidth: 600,
          marginTop: 6,
          imageRendering: 'pixelated',
          border: '1px solid #ccc',
        }}
        onMouseMove={(ev) => {
          const r = ev.currentTarget.getBoundingClientRect();
          const j = Math.floor(((ev.clientX - r.left) / r.width) * n);
          const i = Math.floor(((ev.clientY - r.top) / r.height) * n);
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
