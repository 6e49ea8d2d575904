/** A real redis-server for the job-queue tests: on a free loopback port, without persistence. */
import { spawnSync } from 'node:child_process';
import { freePort } from './net.js';
import { exited, startChild, type Child } from './child.js';

/** Whether redis-server is installed; absent, queue suites skip, except under CI=true, where that fails. */
export function haveRedis(): boolean {
  const have = spawnSync('redis-server', ['--version']).status === 0;
  if (!have && process.env.CI === 'true') throw new Error('CI=true but redis-server is missing');
  return have;
}

export interface RedisServer extends Child {
  url: string;
  stop(): Promise<void>;
}

/** Starts redis-server with `dir` as its working folder; resolves once it accepts connections. */
export async function startRedis(dir: string): Promise<RedisServer> {
  const port = await freePort();
  const r = startChild(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    /Ready to accept connections/,
  );
  await r.ready;
  return {
    ...r,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      r.child.kill('SIGTERM');
      await exited(r.child);
    },
  };
}
