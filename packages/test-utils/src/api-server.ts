/**
 * Starts the built API server (apps/api/dist/main.js) as a child process on a free loopback port, for the
 * tests of every package and the API's load and start-up scripts: the real process, with its worker
 * threads, exactly as `pnpm start` runs it.
 */
import { request } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, sharedDataDir } from './shared-data.js';

export const API_ROOT = join(REPO_ROOT, 'apps', 'api');
export const TEST_TOKEN = 'test-token-0123456789abcdef';

export interface GraphQLResult<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[];
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  dirs: { root: string; runs: string; db: string };
  /** Everything the server printed on stderr. */
  log: () => string;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<GraphQLResult<T>>;
  /** SIGTERM (graceful) or SIGKILL (a crash); resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  /** Reuse the folders of an earlier server (restart tests). */
  dirs?: ServerProcess['dirs'];
  env?: Record<string, string>;
  /** The bearer token the server accepts and `gql` sends (default TEST_TOKEN). */
  token?: string;
}

export function tempDirs(): ServerProcess['dirs'] {
  const root = mkdtempSync(join(tmpdir(), 'rcn-api-'));
  return { root, runs: join(root, 'runs'), db: join(root, 'api.sqlite') };
}

export function removeDirs(dirs: ServerProcess['dirs']): void {
  rmSync(dirs.root, { recursive: true, force: true });
}

export async function startServer(opts: StartOptions = {}): Promise<ServerProcess> {
  const dirs = opts.dirs ?? tempDirs();
  const serverToken = opts.token ?? TEST_TOKEN;
  const child = spawn(process.execPath, [join(API_ROOT, 'dist', 'main.js')], {
    cwd: API_ROOT,
    env: {
      ...process.env,
      RCN_API_HOST: '127.0.0.1',
      RCN_API_PORT: '0',
      RCN_DATA_DIR: sharedDataDir(),
      RCN_RUNS_DIR: dirs.runs,
      RCN_API_DB: dirs.db,
      // A zoo of the test's own (empty unless the test publishes into it), never the repository's.
      RCN_ZOO_DIR: join(dirs.root, 'zoo'),
      RCN_API_TOKEN: serverToken,
      RCN_API_INFERENCE_WORKERS: '1',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test or script that dies must not leave its server behind.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${stderr}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        resolveUrl((JSON.parse(line) as { url: string }).url);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with code ${code}:\n${stderr}`));
    });
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url,
    child,
    dirs,
    log: () => stderr,
    async gql<T>(
      query: string,
      variables: Record<string, unknown> = {},
      token: string | null = serverToken,
    ): Promise<GraphQLResult<T>> {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, ...((await res.json()) as Omit<GraphQLResult<T>, 'status'>) };
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/**
 * A GraphQL POST from a given loopback source address (a distinct client for the server's per-client
 * limits): its HTTP status and body text.
 */
export function postFrom(
  url: string,
  localAddress: string,
  body: string,
  token: string | null = TEST_TOKEN,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/graphql`,
      {
        method: 'POST',
        localAddress,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
