'use client';
import type { ReactNode } from 'react';
import type { CombinedError } from 'urql';
import { VIRIDIS_GRADIENT } from '@/lib/colormap';
import { ago, num } from '@/lib/format';

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge ${status}`}>{status}</span>;
}

export function ErrorBox({
  error,
  title,
}: {
  error: CombinedError | Error | string | null | undefined;
  title?: string;
}) {
  if (!error) return null;
  if (typeof error === 'object' && 'graphQLErrors' in error && error.graphQLErrors.some(isUnauthenticated))
    return <LoginNeeded title={title} />;
  let message: string;
  if (typeof error === 'string') message = error;
  else if ('graphQLErrors' in error && error.graphQLErrors.length)
    message = error.graphQLErrors.map((e) => e.message).join('\n');
  else if ('networkError' in error && error.networkError) message = error.networkError.message;
  else message = error.message;
  return (
    <div className="error" role="alert">
      {title ? <strong>{title}: </strong> : null}
      {message.replace(/^\[(GraphQL|Network)\]\s*/, '')}
    </div>
  );
}

const isUnauthenticated = (e: { extensions?: Record<string, unknown> }) =>
  e.extensions?.code === 'UNAUTHENTICATED';

/**
 * What a logged-out person needs instead of the API's "send the header Authorization: Bearer" message: where
 * to log in, and where the token is.
 */
export function LoginNeeded({ title }: { title?: string }) {
  return (
    <div className="error" role="alert" data-testid="login-needed">
      {title ? <strong>{title}: </strong> : null}
      this needs the API token, and this browser is not logged in. <a href="/login">Log in</a> with the token:
      with <code>pnpm dev</code> it is in <code>.rcn/dev-token</code> in the repository (printed when it
      started); otherwise it is the dashboard&apos;s <code>RCN_API_TOKEN</code>.
    </div>
  );
}

export function Skeleton({ height = 24, label = 'Loading' }: { height?: number; label?: string }) {
  return <div className="skeleton" style={{ height }} role="status" aria-label={label} />;
}

export function ProgressBar({ done, total, label }: { done: number; total: number; label: string }) {
  const p = total > 0 ? Math.min(1, done / total) : 0;
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={done}
    >
      <span style={{ width: `${(100 * p).toFixed(1)}%` }} />
    </div>
  );
}

export function ViridisLegend({ min, max, label }: { min: number; max: number; label: string }) {
  return (
    <span className="legend">
      <span>{label}</span>
      <span className="mono">{num(min)}</span>
      <span className="legend-bar" style={{ background: VIRIDIS_GRADIENT }} aria-hidden="true" />
      <span className="mono">{num(max)}</span>
    </span>
  );
}

/** The head of an evaluation report on the run page: its name and age, the headline number, the settings. */
export function ReportSummary({
  name,
  createdAt,
  stat,
  note,
  children,
}: {
  name: string;
  createdAt: string | null | undefined;
  stat: ReactNode;
  note: ReactNode;
  children: ReactNode;
}) {
  return (
    <>
      <div className="spread">
        <h3 className="mono">{name}</h3>
        <span className="small muted">{ago(createdAt)}</span>
      </div>
      <div className="row" style={{ alignItems: 'baseline', gap: 20 }}>
        <div>
          <div className="stat">{stat}</div>
          <div className="small muted">{note}</div>
        </div>
        <div className="small">{children}</div>
      </div>
    </>
  );
}
