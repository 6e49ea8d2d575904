'use client';
/**
 * A run's reports on fixed tasks files (`eval --tasks`, `evaluateTasks`): mean accuracy ± 95% CI (and the
 * error rate where the protocol reports it, as Lake's runs do), and the episodes, paged, each opening in
 * the explorer.
 */
import Link from 'next/link';
import { useState } from 'react';
import { pct, pctCi } from '@/lib/format';
import { useGql } from '@/lib/gql';
import { RUN_TASK_EVALUATIONS, taskExplorerUrl, type TaskEvaluation } from '@/lib/tasks';
import { ErrorBox, ReportSummary } from './common';

const PAGE = 25;

function TaskReport({ e }: { e: TaskEvaluation }) {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(e.perEpisode.length / PAGE));
  const p = Math.min(page, pages - 1);
  const error = e.metric === 'error';
  return (
    <article className="panel" data-testid="task-evaluation">
      <ReportSummary
        name={e.name}
        createdAt={e.createdAt}
        stat={error ? `error ${pct(e.errorRate, 2)}` : pctCi(e.accuracy, e.ci95)}
        note={`${error ? `accuracy ${pctCi(e.accuracy, e.ci95)}, ` : 'mean accuracy ± 95% CI, '}${e.episodes} fixed episodes`}
      >
        {e.title ?? e.tasks} · <span className="mono">{e.tasks}</span> · checkpoint{' '}
        <span className="mono">{e.checkpoint}</span>
      </ReportSummary>
      <div className="table-wrap" style={{ marginTop: 10 }}>
        <table aria-label="Episodes">
          <thead>
            <tr>
              <th>Episode</th>
              <th className="num">Way × shot</th>
              <th className="num">Correct</th>
              <th className="num">{error ? 'Error' : 'Accuracy'}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {e.perEpisode.slice(p * PAGE, (p + 1) * PAGE).map((r) => {
              const url = taskExplorerUrl(e, r.id);
              return (
                <tr key={r.index}>
                  <td className="mono">{r.id}</td>
                  <td className="num">
                    {r.way} × {r.shot}
                  </td>
                  <td className="num">
                    {r.correct}/{r.queries}
                    {r.outOfDomain ? (
                      <span className="muted" title="queries unlike the checkpoint's training data">
                        {' '}
                        ({r.outOfDomain} odd)
                      </span>
                    ) : null}
                  </td>
                  <td className="num">{pct(error ? r.errorRate : r.accuracy)}</td>
                  <td>{url ? <Link href={url}>explore</Link> : null}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {pages > 1 ? (
        <div className="row small" style={{ marginTop: 6 }}>
          <button type="button" disabled={p === 0} onClick={() => setPage(p - 1)}>
            ← Previous
          </button>
          <span>
            page {p + 1} of {pages} · {e.perEpisode.length} episodes
          </span>
          <button type="button" disabled={p >= pages - 1} onClick={() => setPage(p + 1)}>
            Next →
          </button>
        </div>
      ) : null}
    </article>
  );
}

/** Nothing at all for a run without tasks reports. */
export function TaskReports({ runId }: { runId: string }) {
  const q = useGql(RUN_TASK_EVALUATIONS, { id: runId });
  const reports = q.data?.run?.taskEvaluations ?? [];
  if (!reports.length && !q.error) return null;
  return (
    <section className="panel" aria-labelledby="tasks-h" data-testid="task-reports">
      <h2 id="tasks-h">Fixed tasks</h2>
      <ErrorBox error={q.error} title="Tasks reports" />
      {[...reports].reverse().map((e) => (
        <TaskReport key={e.name} e={e} />
      ))}
    </section>
  );
}
