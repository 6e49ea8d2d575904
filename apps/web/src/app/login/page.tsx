import type { Metadata } from 'next';
import { LoginForm } from './LoginForm';

export const metadata: Metadata = { title: 'Log in' };

export default function LoginPage() {
  return (
    <>
      <h1>Log in</h1>
      <p className="lede">
        Starting, resuming or cancelling training, evaluating and predicting on your images need the API token
        (the dashboard&apos;s <code>RCN_API_TOKEN</code>). Enter it once: this browser gets a session cookie
        for twelve hours; the token itself is not stored here.
      </p>
      <p>
        Started with <code>pnpm dev</code>? It wrote the token to <code>.rcn/dev-token</code> in the
        repository (and printed it when it started): <code>cat .rcn/dev-token</code>. Otherwise it is the{' '}
        <code>RCN_API_TOKEN</code> the dashboard was started with. After a few wrong tokens each further try
        waits longer.
      </p>
      <LoginForm />
    </>
  );
}
