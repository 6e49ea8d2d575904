'use client';
import { useMutation } from 'urql';
import Link from 'next/link';
import { CANCEL_JOB } from '@/lib/queries';
import type { JobFieldsFragment as Job } from '@/gql/graphql';
import { duration, num, pct } from '@/lib/format';
import { ErrorBox, ProgressBar, StatusBadge } from './common';

export function JobsTable({ jobs, onChange }: { jobs: Job[]; onChange?: () => void }) {
  const [cancelState, cancel] = useMutation(CANCEL_JOB);
  if (!jobs.length) return <p className="empty">No jobs queued or running.</p>;
  return (
    <div className="table-wrap">
      <ErrorBox error={cancelState.error} title="Cancel" />
      <table data-testid="jobs-table">
        <thead>
          <tr>
            <th>Job</th>
            <th>Status</th>
            <th>Run / checkpoint</th>
            <th>Progress</th>
            <th className="num">Loss</th>
            <th className="num">Acc.</th>
            <th className="num">Episodes/s</th>
            <th className="num">ETA</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => {
            const open = j.status === 'queued' || j.status === 'running';
            return (
              <tr key={j.id}>
                <td className="nowrap">{j.kind}</td>
                <td>
                  <StatusBadge status={j.status} />
                  {j.error ? (
                    <div className="small" style={{ color: 'var(--bad)' }}>
                      {j.error}
                    </div>
                  ) : null}
                </td>
                <td className="mono">
                  {j.runId ? (
                    <Link href={`/runs/${encodeURIComponent(j.runId)}`}>
                      {j.kind === 'evaluate' ? j.checkpoint : j.runId}
                    </Link>
                  ) : (
                    '–'
                  )}
                </td>
                <td style={{ minWidth: 130 }}>
                  {j.progress ? (
                    <>
                      <ProgressBar
                        done={j.progress.done}
                        total={j.progress.total}
                        label={`${j.kind} progress`}
                      />
                      <span className="small muted">
                        {j.progress.phase} {j.progress.done}/{j.progress.total}
                      </span>
                    </>
                  ) : (
                    <span className="small muted">waiting</span>
                  )}
                </td>
                <td className="num">{num(j.progress?.loss)}</td>
                <td className="num">{pct(j.progress?.accuracy)}</td>
                <td className="num">{num(j.progress?.episodesPerSecond)}</td>
                <td className="num">{open ? duration(j.progress?.etaSeconds) : '–'}</td>
                <td>
                  {open ? (
                    <button
                      type="button"
                      className="danger"
                      disabled={cancelState.fetching}
                      onClick={async () => {
                        await cancel({ id: j.id });
                        onChange?.();
                      }}
                    >
                      Cancel
                    </button>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
