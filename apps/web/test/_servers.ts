/** Starts the real API (apps/api/dist/main.js) and the built dashboard (`next start`) as child processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, removeDirs, startServer } from '@rcn/test-utils';
import { WEB_ROOT } from './_env';

export const TEST_TOKEN = 'web-test-token-0123456789abcdef';

export interface Proc {
  url: string;
  child: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

function waitFor(
  child: ChildProcess,
  test: (out: string) => string | null,
  what: string,
  timeoutMs: number,
  log: () => string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start in ${timeoutMs} ms:\n${log()}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      out += d.toString();
      const hit = test(out);
      if (hit) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(hit);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with code ${code}:\n${log()}`));
    });
  });
}

function procOf(child: ChildProcess, url: string, log: () => string): Proc {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url,
    child,
    log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface ApiProc extends Proc {
  runsDir: string;
  /** The API's zoo folder (RCN_ZOO_DIR), empty until a test publishes a model into it. */
  zooDir: string;
  /** The query's data; a GraphQL error throws. */
  gql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  cleanup(): void;
}

/** The built API (@rcn/test-utils' `startServer`), on fresh folders, accepting TEST_TOKEN. */
export async function startApi(): Promise<ApiProc> {
  const s = await startServer({ token: TEST_TOKEN });
  return {
    url: s.url,
    child: s.child,
    log: s.log,
    stop: () => s.stop(),
    runsDir: s.dirs.runs,
    zooDir: join(s.dirs.root, 'zoo'),
    async gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const r = await s.gql<T>(query, variables);
      if (r.errors?.length) throw new Error(`GraphQL: ${r.errors.map((e) => e.message).join('; ')}`);
      return r.data as T;
    },
    cleanup: () => removeDirs(s.dirs),
  };
}

/** `next start` of the production build in .next (see global-setup.ts), pointed at `apiUrl`. */
export async function startWeb(apiUrl: string): Promise<Proc> {
  const port = await freePort();
  const nextBin = join(WEB_ROOT, 'node_modules', 'next', 'dist', 'bin', 'next');
  const child = spawn(
    process.execPath,
    [nextBin, 'start', '--port', String(port), '--hostname', '127.0.0.1'],
    {
      cwd: WEB_ROOT,
      env: {
        ...process.env,
        RCN_API_URL: `${apiUrl}/graphql`,
        RCN_API_TOKEN: TEST_TOKEN,
        NEXT_TELEMETRY_DISABLED: '1',
        NODE_ENV: 'production',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let all = '';
  child.stderr!.on('data', (d: Buffer) => (all += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (all += d.toString()));
  const log = () => all;
  await waitFor(
    child,
    (out) => (/Ready in|started server|Local:/i.test(out) ? 'ok' : null),
    'next start',
    60_000,
    log,
  );
  const url = `http://127.0.0.1:${port}`;
  // The first request compiles nothing in production, but wait until it answers.
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return procOf(child, url, log);
}
