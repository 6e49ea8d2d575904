'use client';
import { inkOn, viridisCss } from '@/lib/colormap';
import { shortName } from '@/lib/format';
import { ViridisLegend } from './common';

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
  const rows = matrix.map((r) => {
    const total = r.reduce((a, b) => a + b, 0);
    return r.map((v) => (total > 0 ? v / total : 0));
  });
  const small = classes.length > 24;
  return (
    <div>
      <div className="row" style={{ marginBottom: 6 }}>
        <ViridisLegend min={0} max={1} label="share of the row's queries" />
        <span className="muted small">Rows: true class · columns: predicted class</span>
      </div>
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
