'use client';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useMemo, useState } from 'react';
import { ConfigDiff } from '@/components/ConfigDiff';
import { Curves, type CurveRun } from '@/components/CurvesLazy';
import { ErrorBox, ProgressBar, Skeleton, StatusBadge } from '@/components/common';
import { JobsTable } from '@/components/Jobs';
import { TrainForm } from '@/components/TrainForm';
import { SERIES } from '@/lib/colormap';
import { ago, pctCi } from '@/lib/format';
import { useGql } from '@/lib/gql';
import { RUNS } from '@/lib/queries';
import { multiRunMetricsQuery } from '@/lib/runs';
import type { RunFieldsFragment as RunSummary } from '@/gql/graphql';
import { jsonObject } from '@/lib/json';

const MAX_COMPARE = 6;
const RUNS_VARS = { limit: 100 };

export function RunsView() {
  const params = useSearchParams();
  const router = useRouter();
  const [live, setLive] = useState(false);
  // Poll fast while something trains, slowly otherwise (runs started from the CLI appear too).
  const runsQ = useGql(RUNS, RUNS_VARS, { pollMs: live ? 2000 : 15000 });
  const runs = useMemo(() => runsQ.data?.runs ?? [], [runsQ.data]);
  const jobs = runsQ.data?.jobs ?? [];
  const nowLive =
    jobs.some((j) => j.status === 'queued' || j.status === 'running') ||
    runs.some((r) => r.status === 'running');
  useEffect(() => setLive(nowLive), [nowLive]);

  const requested = (params.get('compare') ?? '').split(',').filter(Boolean);
  const selected = (requested.length ? requested : runs.slice(0, 1).map((r) => r.id))
    .filter((id) => runs.some((r) => r.id === id))
    .slice(0, MAX_COMPARE);
  const setSelected = (ids: string[]) =>
    router.replace(ids.length ? `/runs?compare=${ids.map(encodeURIComponent).join(',')}` : '/runs', {
      scroll: false,
    });
  const toggle = (id: string) =>
    setSelected(
      selected.includes(id) ? selected.filter((x) => x !== id) : [...selected, id].slice(-MAX_COMPARE),
    );

  const metricsDoc = useMemo(() => multiRunMetricsQuery(Math.max(1, selected.length)), [selected.length]);
  const metricsVars = useMemo(() => Object.fromEntries(selected.map((id, i) => [`id${i}`, id])), [selected]);
  const selectedLive = selected.some((id) => runs.find((r) => r.id === id)?.status === 'running') || live;
  const metricsQ = useGql(metricsDoc, metricsVars, {
    pause: !selected.length,
    pollMs: selectedLive ? 2000 : null,
  });
  const curveRuns: CurveRun[] = selected.flatMap((id, i) => {
    const r = metricsQ.data?.[`r${i}`];
    return r && r.id === id ? [{ id, label: id, metrics: r.metrics }] : [];
  });
  const selectedRuns = selected
    .map((id) => runs.find((r) => r.id === id))
    .filter((r): r is RunSummary => Boolean(r));

  return (
    <>
      <section className="panel" aria-labelledby="train-h">
        <details>
          <summary id="train-h">Start a training run</summary>
          <div style={{ marginTop: 10 }}>
            <TrainForm
              onStarted={(job) => {
                runsQ.refetch();
                if (job.runId) setSelected([job.runId]);
              }}
            />
          </div>
        </details>
      </section>

      <section className="panel" aria-labelledby="jobs-h">
        <h2 id="jobs-h">Recent jobs</h2>
        <JobsTable jobs={jobs.slice(0, 8)} onChange={runsQ.refetch} />
      </section>

      <section className="panel" aria-labelledby="runs-h">
        <div className="spread">
          <h2 id="runs-h">All runs</h2>
          <span className="small muted">{live ? 'live: refreshing every 2 s' : 'refreshing every 15 s'}</span>
        </div>
        <ErrorBox error={runsQ.error} />
        {runsQ.waiting ? <Skeleton height={120} label="Loading runs" /> : null}
        {runsQ.data && !runs.length ? (
          <p className="empty">No runs yet. Start one above, or with the CLI (`pnpm cli train`).</p>
        ) : null}
        {runs.length ? (
          <div className="table-wrap">
            <table data-testid="runs-table">
              <thead>
                <tr>
                  <th>
                    <span className="sr-only">Compare</span>
                  </th>
                  <th>Run</th>
                  <th>Status</th>
                  <th>Method</th>
                  <th>Dataset</th>
                  <th>Backbone</th>
                  <th className="num">Way</th>
                  <th className="num">Shot</th>
                  <th className="num">LR</th>
                  <th>Episodes</th>
                  <th className="num">Best val. acc.</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => {
                  const i = selected.indexOf(r.id);
                  const config = jsonObject(r.config);
                  const model = jsonObject(config.model);
                  return (
                    <tr key={r.id} className={i >= 0 ? 'selected' : undefined}>
                      <td>
                        <input
                          type="checkbox"
                          checked={i >= 0}
                          onChange={() => toggle(r.id)}
                          aria-label={`Compare ${r.id}`}
                          style={{ accentColor: i >= 0 ? SERIES[i % SERIES.length] : undefined }}
                        />
                      </td>
                      <td className="mono">
                        <Link href={`/runs/${encodeURIComponent(r.id)}`}>{r.id}</Link>
                      </td>
                      <td>
                        <StatusBadge status={r.status} />
                      </td>
                      <td>{r.method}</td>
                      <td>{r.dataset}</td>
                      <td>{String(model.backbone ?? '–')}</td>
                      <td className="num">{String(config.way ?? '–')}</td>
                      <td className="num">{String(config.shot ?? '–')}</td>
                      <td className="num">{String(config.lr ?? '–')}</td>
                      <td style={{ minWidth: 120 }}>
                        <ProgressBar done={r.episode} total={r.totalEpisodes} label={`${r.id} episodes`} />
                        <span className="small muted">
                          {r.episode} / {r.totalEpisodes}
                        </span>
                      </td>
                      <td className="num nowrap">{pctCi(r.bestValAccuracy, r.bestValCi95)}</td>
                      <td className="small nowrap" title={r.updatedAt}>
                        {ago(r.updatedAt)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>

      {selected.length ? (
        <section className="panel" aria-labelledby="curves-h">
          <div className="spread">
            <h2 id="curves-h">
              {selected.length > 1 ? `Comparing ${selected.length} runs` : `Curves of ${selected[0]}`}
            </h2>
            <div className="row small">
              {selected.map((id, i) => (
                <span key={id} className="mono" style={{ color: SERIES[i % SERIES.length] }}>
                  ● {id}
                </span>
              ))}
            </div>
          </div>
          <ErrorBox error={metricsQ.error} />
          {metricsQ.waiting ? <Skeleton height={240} label="Loading curves" /> : <Curves runs={curveRuns} />}
          <details open={selected.length > 1} style={{ marginTop: 16 }}>
            <summary>Configuration{selected.length > 1 ? ' diff' : ''}</summary>
            <ConfigDiff runs={selectedRuns} />
          </details>
        </section>
      ) : null}
    </>
  );
}
