'use client';
import { ErrorBox, ProgressBar, Skeleton, StatusBadge } from '@/components/common';
import { pct, pctCi } from '@/lib/format';
import { useGql } from '@/lib/gql';
import { SWEEPS } from '@/lib/queries';
import { jsonObject } from '@/lib/json';

function download(name: string, text: string, type: string): string {
  return `data:${type};charset=utf-8,${encodeURIComponent(text)}#${name}`;
}

export function SweepsView() {
  const q = useGql(SWEEPS, {}, { pollMs: 5000 });
  if (q.error) return <ErrorBox error={q.error} title="Sweeps" />;
  if (q.waiting) return <Skeleton height={120} label="Loading sweeps" />;
  const sweeps = q.data?.sweeps ?? [];
  if (!sweeps.length) return <p>No sweeps yet: `pnpm cli sweep sweep.yaml` plans one in the runs folder.</p>;
  return (
    <>
      {sweeps.map((s) => (
        <section className="panel" key={s.name} aria-labelledby={`sweep-${s.name}`}>
          <h2 id={`sweep-${s.name}`}>{s.name}</h2>
          <ProgressBar done={s.progress.done} total={s.progress.cells} label={`${s.name}: cells done`} />
          <p>
            {s.progress.done}/{s.progress.cells} cells done, {s.progress.running} running,{' '}
            {s.progress.pending} waiting{s.progress.failed ? `, ${s.progress.failed} failed` : ''}
          </p>
          <table>
            <thead>
              <tr>
                {s.keys.map((k) => (
                  <th key={k}>{k}</th>
                ))}
                <th>seeds</th>
                <th>test accuracy (mean ± 95% CI across seeds)</th>
              </tr>
            </thead>
            <tbody>
              {s.table.map((r) => (
                <tr key={JSON.stringify(r.setting)}>
                  {s.keys.map((k) => (
                    <td key={k}>{String(jsonObject(r.setting)[k])}</td>
                  ))}
                  <td>
                    {r.done}/{r.planned}
                  </td>
                  <td>{pctCi(r.mean, r.ci95)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            <a href={download(`${s.name}.md`, s.markdown, 'text/markdown')} download={`${s.name}.md`}>
              Markdown
            </a>{' '}
            ·{' '}
            <a href={download(`${s.name}.csv`, s.csv, 'text/csv')} download={`${s.name}.csv`}>
              CSV
            </a>
          </p>
          <details>
            <summary>Cells</summary>
            <table>
              <tbody>
                {s.cells.map((c) => (
                  <tr key={c.id}>
                    <td>{c.id}</td>
                    <td>
                      <StatusBadge status={c.state} />
                    </td>
                    <td>
                      {c.episode}/{c.episodes}
                    </td>
                    <td>{pct(c.accuracy)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </section>
      ))}
    </>
  );
}
