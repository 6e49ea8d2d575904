'use client';
import { useState } from 'react';
import { flattenConfig } from '@/lib/runs';
import { SERIES } from '@/lib/colormap';
import type { RunFieldsFragment as RunSummary } from '@/gql/graphql';
import { jsonObject } from '@/lib/json';

/** Configurations of runs side by side; rows whose values differ are highlighted. */
export function ConfigDiff({ runs }: { runs: RunSummary[] }) {
  const [onlyDiff, setOnlyDiff] = useState(true);
  const flat = runs.map((r) => flattenConfig(jsonObject(r.config)));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  const differs = (k: string) => new Set(flat.map((f) => f[k] ?? '–')).size > 1;
  const shown = keys.filter((k) => !onlyDiff || runs.length < 2 || differs(k));
  if (runs.length === 1)
    return (
      <dl className="kv" data-testid="config">
        {keys.map((k) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{flat[0][k]}</dd>
          </div>
        ))}
      </dl>
    );
  return (
    <div>
      <div className="row" style={{ marginBottom: 6 }}>
        {runs.length > 1 ? (
          <label className="check">
            <input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} /> Only
            differences
          </label>
        ) : null}
        <span className="small muted">
          {runs.length > 1
            ? `${keys.filter(differs).length} of ${keys.length} settings differ`
            : `${keys.length} settings`}
        </span>
      </div>
      <div className="table-wrap">
        <table data-testid="config-diff">
          <thead>
            <tr>
              <th>Setting</th>
              {runs.map((r, i) => (
                <th key={r.id} className="mono" style={{ color: SERIES[i % SERIES.length] }}>
                  {r.id}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((k) => (
              <tr key={k} className={runs.length > 1 && differs(k) ? 'diff' : undefined}>
                <th scope="row" className="mono">
                  {k}
                </th>
                {flat.map((f, i) => (
                  <td key={i} className="mono">
                    {f[k] ?? '–'}
                  </td>
                ))}
              </tr>
            ))}
            {!shown.length ? (
              <tr>
                <td colSpan={runs.length + 1} className="muted">
                  Identical configurations.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </div>
  );
}
