/** Child processes the tests start (servers, workers): their output collected, their readiness awaited. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Child {
  child: ChildProcess;
  /** Everything it printed, stdout and stderr together. */
  log: () => string;
  /** Resolves when its output matches `ready`; rejects when it exits first. */
  ready: Promise<void>;
}

export function startChild(
  cmd: string,
  args: string[],
  ready: RegExp,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Child {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const isReady = new Promise<void>((resolve, reject) => {
    const on = (d: Buffer) => {
      log += d.toString();
      if (ready.test(log)) resolve();
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (code) => reject(new Error(`${cmd} exited (${code}) before ready:\n${log}`)));
  });
  // A test that stops a child before it was ready does not wait on this promise.
  isReady.catch(() => undefined);
  return { child, ready: isReady, log: () => log };
}

/** Resolves once `c` has exited (at once if it has). */
export function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => c.once('exit', () => resolve()));
}
