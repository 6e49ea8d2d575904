/**
 * Ctrl-C through a pipe (issue 24): `pnpm cli train ... 2>&1 | tee log`, then Ctrl-C stops tee as well, so
 * the trainer's next line (its own "finishing the current step" note included) goes to a pipe with no
 * reader. That must not stop the save: on SIGINT, SIGTERM and SIGHUP the run still saves `latest`, is
 * marked interrupted and exits 130. Real data: tiny-imagenet-32.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireSharedData } from '@rcn/test-utils';

const main = resolve(fileURLToPath(new URL('../dist/main.js', import.meta.url)));
const { available: haveData, dir: dataDir } = requireSharedData('tiny-imagenet-32');

/**
 * Trains with stdout and stderr on pipes; once training is under way the pipes' reader goes away (as tee
 * does on Ctrl-C), then `signal` arrives. Resolves with the exit code and the run's files.
 */
async function interruptThroughClosedPipe(runs: string, id: string, signal: NodeJS.Signals) {
  const child = spawn(
    process.execPath,
    [
      main,
      'train',
      '--dataset',
      'tiny-imagenet-32',
      '--data-dir',
      dataDir,
      '--backend',
      'wasm',
      '--query',
      '2',
      '--val-query',
      '2',
      '--val-episodes',
      '3',
      '--episodes',
      '400',
      '--val-every',
      '200',
      '--runs-dir',
      runs,
      '--run-id',
      id,
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((res) => child.on('exit', res));
  let err = '';
  await new Promise<void>((res, rej) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/train \d+\/400/.test(err)) res();
    });
    void exited.then((code) => rej(new Error(`train exited (${code}) before training:\n${err}`)));
  });
  // The reader is gone: every later write of the trainer fails with EPIPE.
  child.stdout.destroy();
  child.stderr.destroy();
  child.kill(signal);
  const code = await exited;
  const status = JSON.parse(await readFile(join(runs, id, 'status.json'), 'utf8')) as {
    status: string;
    episode: number;
  };
  const state = JSON.parse(
    await readFile(join(runs, id, 'checkpoints', 'latest', 'trainer-state.json'), 'utf8'),
  ) as { progress: { episode: number } };
  return { code, status, saved: state.progress.episode };
}

describe.skipIf(!haveData)('Ctrl-C through a pipe whose reader has exited', () => {
  let runs: string;
  beforeAll(async () => {
    runs = await mkdtemp(join(tmpdir(), 'rcn-cli-pipe-'));
  });
  afterAll(async () => {
    await rm(runs, { recursive: true, force: true });
  });

  for (const signal of ['SIGINT', 'SIGHUP'] as const) {
    it(`${signal}: saves latest, marks the run interrupted, exits 130`, async () => {
      const r = await interruptThroughClosedPipe(runs, signal.toLowerCase(), signal);
      expect(r.code).toBe(130);
      expect(r.status.status).toBe('interrupted');
      expect(r.status.episode).toBeGreaterThan(0);
      expect(r.saved).toBe(r.status.episode);
    });
  }
});
