'use client';
import Link from 'next/link';
import { ErrorBox, ProgressBar, Skeleton, StatusBadge } from '@/components/common';
import { JobsTable } from '@/components/Jobs';
import { ago, configSummary, pctCi } from '@/lib/format';
import { useGql } from '@/lib/gql';
import { OVERVIEW } from '@/lib/queries';

export function Overview() {
  const q = useGql(OVERVIEW, {}, { pollMs: 10_000 });
  if (q.error && !q.data) return <ErrorBox error={q.error} title="API" />;
  const d = q.data;
  return (
    <div className="grid cols-2">
      <section className="panel" aria-labelledby="backend-h" data-testid="backend">
        <h2 id="backend-h">Backend</h2>
        {!d ? (
          <Skeleton height={70} label="Loading backend" />
        ) : (
          <>
            <div className="stat">{d.backend.name}</div>
            <p className="small" style={{ margin: '4px 0' }}>
              TensorFlow.js {d.backend.version} · backend <span className="mono">{d.backend.tfBackend}</span>{' '}
              (requested <span className="mono">{d.backend.requested}</span>)
            </p>
            <ul className="small muted" style={{ margin: 0, paddingLeft: 18 }}>
              {d.backend.devices.map((x) => (
                <li key={x}>{x}</li>
              ))}
            </ul>
          </>
        )}
      </section>
      <section className="panel" aria-labelledby="jobs-h">
        <div className="spread">
          <h2 id="jobs-h">Active jobs</h2>
          <Link href="/runs">Start a run →</Link>
        </div>
        {!d ? (
          <Skeleton height={70} label="Loading jobs" />
        ) : (
          <JobsTable jobs={d.jobs} onChange={q.refetch} />
        )}
      </section>
      <section className="panel span-all" aria-labelledby="recent-h" data-testid="recent-runs">
        <div className="spread">
          <h2 id="recent-h">Recent runs</h2>
          <Link href="/runs">All runs →</Link>
        </div>
        {!d ? (
          <Skeleton height={120} label="Loading runs" />
        ) : !d.runs.length ? (
          <p className="empty">
            No runs yet. <Link href="/runs">Start one</Link> or run{' '}
            <span className="mono">pnpm cli train</span>.
          </p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Run</th>
                  <th>Status</th>
                  <th>Setting</th>
                  <th>Episodes</th>
                  <th className="num">Best val.</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {d.runs.map((r) => (
                  <tr key={r.id}>
                    <td className="mono" style={{ wordBreak: 'break-all' }}>
                      <Link href={`/runs/${encodeURIComponent(r.id)}`}>{r.id}</Link>
                    </td>
                    <td>
                      <StatusBadge status={r.status} />
                    </td>
                    <td className="small">
                      {r.method} · {r.dataset} · {configSummary(r.config)}
                    </td>
                    <td style={{ minWidth: 90 }}>
                      <ProgressBar done={r.episode} total={r.totalEpisodes} label={`${r.id} episodes`} />
                      <span className="small muted">
                        {r.episode}/{r.totalEpisodes}
                      </span>
                    </td>
                    <td className="num nowrap">{pctCi(r.bestValAccuracy, r.bestValCi95)}</td>
                    <td className="small nowrap">{ago(r.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="panel span-all" aria-labelledby="datasets-h" data-testid="datasets">
        <h2 id="datasets-h">Datasets</h2>
        {!d ? (
          <Skeleton height={120} label="Loading datasets" />
        ) : !d.datasets.length ? (
          <p className="empty">No datasets found in the API&apos;s data folder (RCN_DATA_DIR).</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Dataset</th>
                  <th>Format</th>
                  <th>Splits (classes / images)</th>
                  <th>Image</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {d.datasets.map((ds) => (
                  <tr key={ds.id}>
                    <td className="mono">{ds.id}</td>
                    <td>{ds.format}</td>
                    <td className="small">
                      {ds.splits.map((s) => (
                        <div key={s.name}>
                          <strong>{s.name}</strong> {s.classCount.toLocaleString('en')} /{' '}
                          {s.imageCount.toLocaleString('en')}
                        </div>
                      ))}
                    </td>
                    <td className="small nowrap">
                      {ds.splits[0]
                        ? `${ds.splits[0].imageWidth}×${ds.splits[0].imageHeight}×${ds.splits[0].channels}`
                        : '–'}
                    </td>
                    <td>
                      <Link
                        href={`/explore?dataset=${encodeURIComponent(ds.id)}&split=${encodeURIComponent(ds.splits.find((s) => s.name === 'test')?.name ?? ds.splits[0]?.name ?? 'test')}`}
                      >
                        explore
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
