/**
 * The distributed engine end to end, as a user runs it: a real redis-server (started here on a free
 * loopback port, no persistence), `rcn sweep --queue` enqueues a small sweep, two `rcn worker` processes
 * take it, and one is killed with SIGKILL in the middle of a cell. Every cell must finish exactly once,
 * the killed cell resumed from its checkpoint by the other worker, and the results must equal those of
 * the same sweep run by the embedded engine. Real data: tiny-imagenet-32, a few episodes at 16 px.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  exited,
  haveRedis,
  requireSharedData,
  startChild,
  startRedis,
  type Child,
  type RedisServer,
} from '@rcn/test-utils';

const main = resolve(fileURLToPath(new URL('../dist/main.js', import.meta.url)));
const { available: haveData, dir: dataDir } = requireSharedData('tiny-imagenet-32');
const redisPresent = haveRedis();

const EPISODES = 6;
const VAL_EVERY = 2;
const SWEEP = `name: tiny
base:
  dataset: tiny-imagenet-32
  backend: wasm
  way: 3
  query: 2
  valQuery: 2
  episodes: ${EPISODES}
  valEvery: ${VAL_EVERY}
  valEpisodes: 2
  model: { backbone: conv4, imageSize: 16 }
grid:
  method: [rcn]
seeds: 3
eval:
  query: 3
  episodes: 3
`;

const env = { ...process.env, RCN_BACKEND: 'wasm', RCN_QUEUE: '' };

function cli(args: string[]) {
  return spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env });
}

/** A CLI process (`rcn worker`) that collects its output. */
const start = (args: string[], ready: RegExp) =>
  startChild(process.execPath, [main, ...args], ready, { env });

interface Attempt {
  event: string;
  worker: string;
  fromEpisode?: number;
  status?: string;
}

async function attempts(runDir: string): Promise<Attempt[]> {
  const path = join(runDir, 'attempts.jsonl');
  if (!existsSync(path)) return [];
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Attempt];
      } catch {
        return []; // a line being appended right now
      }
    });
}

async function checkpointEpisode(runDir: string): Promise<number | null> {
  try {
    const s = JSON.parse(
      await readFile(join(runDir, 'checkpoints', 'latest', 'trainer-state.json'), 'utf8'),
    ) as { progress: { episode: number } };
    return s.progress.episode;
  } catch {
    return null; // none yet, or being swapped in
  }
}

interface CellStatus {
  id: string;
  state: string;
  accuracy: number | null;
}

function status(runs: string): CellStatus[] {
  const r = cli(['sweep', 'status', 'tiny', '--runs-dir', runs, '--json']);
  expect(r.status, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { cells: CellStatus[] }).cells;
}

describe.skipIf(!haveData || !redisPresent)('sweep on Redis with two workers, one killed', () => {
  let tmp: string;
  let redis: RedisServer;
  const workers: Child[] = [];
  let url: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'rcn-sweep-'));
    await writeFile(join(tmp, 'tiny.yaml'), SWEEP);
    redis = await startRedis(tmp);
    url = redis.url;
  });

  afterAll(async () => {
    for (const w of workers) w.child.kill('SIGKILL');
    await Promise.all([...workers.map((w) => exited(w.child)), redis?.stop()]);
    await rm(tmp, { recursive: true, force: true });
  });

  it('finishes every cell exactly once, resumes the killed one, and equals the embedded engine', async () => {
    const runsR = join(tmp, 'runs-redis');
    const runsE = join(tmp, 'runs-embedded');
    const yaml = join(tmp, 'tiny.yaml');
    const common = ['--runs-dir', runsR, '--data-dir', dataDir];

    const enq = cli(['sweep', yaml, ...common, '--queue', url]);
    expect(enq.status, enq.stderr).toBe(0);
    expect(enq.stderr).toMatch(/enqueued 3 cells/);
    // The command to follow it is one that exists (`rcn` is not installed; `pnpm cli` is).
    expect(enq.stderr).toMatch(/follow with: pnpm cli sweep status tiny\b/);
    // Enqueuing again adds nothing: job ids are the cells' run ids.
    expect(cli(['sweep', yaml, ...common, '--queue', url]).status).toBe(0);

    for (let i = 0; i < 2; i++) {
      const w = start(['worker', '--queue', url, '--lock-ms', '2000'], /"ready"/);
      workers.push(w);
    }
    await Promise.all(workers.map((w) => w.ready));
    const [a, b] = workers;
    const nameA = `:${a.child.pid}`;

    // Kill worker A with SIGKILL once a cell it runs has a checkpoint but has not finished.
    let killed: string | null = null;
    let killedAt = 0;
    const t0 = Date.now();
    while (!killed) {
      expect(Date.now() - t0, `no checkpoint by worker A in time:\n${a.log()}`).toBeLessThan(90_000);
      if (existsSync(runsR)) {
        for (const id of await readdir(runsR)) {
          const dir = join(runsR, id);
          const at = await attempts(dir);
          const ep = await checkpointEpisode(dir);
          const mine = at.length === 1 && at[0].event === 'start' && at[0].worker.endsWith(nameA);
          if (mine && ep !== null && ep >= VAL_EVERY && ep < EPISODES) {
            a.child.kill('SIGKILL');
            killed = id;
            killedAt = ep;
            break;
          }
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await exited(a.child);

    // Worker B finishes the sweep, including the killed cell once its lock expires.
    // (Polled on the files, not with `sweep status`: a CLI process per poll would load the busy machine.)
    const ids = [0, 1, 2].map((s) => `tiny_method-rcn_seed${s}`);
    const finished = async (id: string) =>
      (await attempts(join(runsR, id))).some((e) => e.event === 'finish');
    while (!(await Promise.all(ids.map(finished))).every(Boolean)) {
      expect(Date.now() - t0, `sweep not done:\n${b.log()}`).toBeLessThan(240_000);
      await new Promise((r) => setTimeout(r, 500));
    }

    const cells = status(runsR);
    expect(cells.map((c) => [c.id, c.state])).toEqual(ids.map((id) => [id, 'done']));
    for (const c of cells) {
      const dir = join(runsR, c.id);
      const at = await attempts(dir);
      // Exactly one attempt finished each cell, and exactly one evaluation report exists.
      expect(
        at.filter((e) => e.event === 'finish'),
        c.id,
      ).toEqual([expect.objectContaining({ status: 'finished' })]);
      expect(await readdir(join(dir, 'evaluations'))).toHaveLength(1);
      // The queue ran each job to completion once: one "finished" line over both workers' logs.
      const done = (a.log() + b.log()).split('\n').filter((l) => l.endsWith(`job ${c.id}: finished`));
      expect(done, c.id).toHaveLength(1);
      if (c.id === killed) {
        const starts = at.filter((e) => e.event === 'start');
        expect(starts).toHaveLength(2);
        expect(starts[0].worker.endsWith(nameA)).toBe(true);
        expect(starts[1].worker.endsWith(`:${b.child.pid}`)).toBe(true);
        // Resumed from the checkpoint A left (at least the one seen when it was killed), not from zero.
        expect(starts[1].fromEpisode).toBeGreaterThanOrEqual(killedAt);
      } else {
        expect(at.filter((e) => e.event === 'start')).toHaveLength(1);
      }
    }

    // The same sweep on the embedded engine (this process's threads, no Redis) gives the same numbers.
    const emb = cli(['sweep', yaml, '--runs-dir', runsE, '--data-dir', dataDir, '--concurrency', '2']);
    expect(emb.status, emb.stderr).toBe(0);
    const reportR = cli(['sweep', 'report', 'tiny', '--runs-dir', runsR, '--format', 'csv']);
    const reportE = cli(['sweep', 'report', 'tiny', '--runs-dir', runsE, '--format', 'csv']);
    expect(reportR.status).toBe(0);
    expect(reportR.stdout).toBe(reportE.stdout);
    expect(reportR.stdout.trim().split('\n')).toHaveLength(2);
    for (const c of status(runsE)) {
      const [fileR] = await readdir(join(runsR, c.id, 'evaluations'));
      const r = JSON.parse(await readFile(join(runsR, c.id, 'evaluations', fileR), 'utf8')) as {
        perEpisode: number[];
      };
      const e = JSON.parse(await readFile(join(runsE, c.id, 'evaluations', fileR), 'utf8')) as {
        perEpisode: number[];
      };
      expect(r.perEpisode, c.id).toEqual(e.perEpisode);
    }
  });
});
