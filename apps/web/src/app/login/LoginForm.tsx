'use client';
import { useEffect, useState, type FormEvent } from 'react';

interface SessionState {
  loggedIn: boolean;
  loginAvailable: boolean;
}

export function LoginForm() {
  const [state, setState] = useState<SessionState | null>(null);
  const [token, setToken] = useState('');
  const [message, setMessage] = useState('');

  const refresh = () =>
    fetch('/session', { cache: 'no-store' })
      .then((r) => r.json() as Promise<SessionState>)
      .then(setState, () => setMessage('cannot reach the dashboard server'));
  useEffect(() => {
    void refresh();
  }, []);

  const login = async (e: FormEvent) => {
    e.preventDefault();
    const r = await fetch('/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    const body = (await r.json()) as { error?: { message: string } };
    setToken('');
    setMessage(r.ok ? 'Logged in.' : (body.error?.message ?? `login failed (${r.status})`));
    await refresh();
  };
  const logout = async () => {
    await fetch('/session', { method: 'DELETE' });
    setMessage('Logged out.');
    await refresh();
  };

  if (!state) return <p aria-live="polite">{message || 'Checking your session…'}</p>;
  return (
    <section className="card">
      {state.loggedIn ? (
        <p>
          You are logged in.{' '}
          <button type="button" onClick={() => void logout()}>
            Log out
          </button>
        </p>
      ) : state.loginAvailable ? (
        <form onSubmit={(e) => void login(e)}>
          <label>
            API token{' '}
            <input
              type="password"
              name="token"
              autoComplete="current-password"
              value={token}
              onChange={(e) => setToken(e.target.value)}
              required
            />
          </label>{' '}
          <button type="submit">Log in</button>
        </form>
      ) : (
        <p>
          This dashboard has no <code>RCN_API_TOKEN</code>: paste your own token into this browser&apos;s
          storage (<code>localStorage[&apos;rcn-api-token&apos;]</code>); it is sent with each request.
        </p>
      )}
      <p aria-live="polite">{message}</p>
    </section>
  );
}
