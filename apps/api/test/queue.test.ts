/**
 * The API on the distributed engine: with RCN_QUEUE set, startTraining only enqueues (no thread of the
 * server trains), a queue worker process (`@rcn/jobs`' `startQueueWorker`, what `rcn worker` runs) takes the
 * job, and its progress and end come back to the API through the queue; cancelJob reaches the worker that
 * holds a running job. A real redis-server on a free loopback port, no persistence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  API_ROOT,
  exited,
  haveRedis,
  removeDirs,
  sharedDataDir,
  startChild,
  startRedis,
  startServer,
  tempDirs,
  type Child,
  type RedisServer,
  type ServerProcess,
} from '@rcn/test-utils';
import { DATASET, describeWithData } from './_data.js';
import { openRedisEngine, planSweep, readSweepSpec, saveSweep } from '@rcn/jobs';
import { finished, JOB_FIELDS, ok, trainTiny, waitJob, type JobView } from './_helpers.js';

(haveRedis() ? describeWithData : describe.skip)('API jobs on Redis', () => {
  const dirs = tempDirs();
  let redis: RedisServer;
  let worker: Child | null = null;
  let s: ServerProcess;
  let url: string;

  beforeAll(async () => {
    redis = await startRedis(dirs.root);
    url = redis.url;
    s = await startServer({ dirs, env: { RCN_QUEUE: url, RCN_BACKEND: 'wasm' } });
  });

  afterAll(async () => {
    await s?.stop('SIGTERM');
    worker?.child.kill('SIGKILL');
    await Promise.all([worker && exited(worker.child), redis?.stop()]);
    removeDirs(dirs);
  });

  it('enqueues, a worker runs the job, progress and the end come back; cancel reaches the worker', async () => {
    expect(s.log()).toMatch(/jobs go to the queue/);
    const job = await trainTiny(s, 'q1');
    // Nobody takes it until a worker starts: the server itself runs nothing.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await waitJob(s, job.id, () => true)).status).toBe('queued');

    // What `rcn worker` runs, from a file (a worker thread must not inherit `-e`'s flags).
    const jobs = pathToFileURL(createRequire(join(API_ROOT, 'package.json')).resolve('@rcn/jobs')).href;
    const script = join(dirs.root, 'worker.mjs');
    writeFileSync(
      script,
      `const m = await import(${JSON.stringify(jobs)});\n` +
        `await m.startQueueWorker({ url: ${JSON.stringify(url)}, log: console.error });\n` +
        `console.log('worker ready');\n`,
    );
    worker = startChild(process.execPath, [script], /worker ready/, {
      cwd: API_ROOT,
      env: { ...process.env, RCN_BACKEND: 'wasm' },
    });
    await worker.ready;
    const seen: number[] = [];
    const done = await waitJob(s, job.id, (j) => {
      if (j.progress) seen.push(j.progress.done);
      return finished(j);
    });
    expect(done, worker.log()).toMatchObject({ status: 'finished', runId: 'q1', error: null });
    expect(Math.max(...seen)).toBe(4);
    const { run } = ok(
      await s.gql<{ run: { status: string; episode: number } }>('{ run(id: "q1") { status episode } }'),
    );
    expect(run).toEqual({ status: 'finished', episode: 4 });

    const long = await trainTiny(s, 'q2', { episodes: 100_000, valEvery: 100_000 });
    await waitJob(s, long.id, (j) => (j.progress?.done ?? 0) >= 1 || finished(j));
    ok(await s.gql<{ cancelJob: JobView }>(`mutation { cancelJob(id: "${long.id}") { ${JOB_FIELDS} } }`));
    const cancelled = await waitJob(s, long.id, finished);
    expect(cancelled.status, worker.log()).toBe('cancelled');
    const r = ok(
      await s.gql<{ run: { status: string; checkpoints: { ref: string }[] } }>(
        '{ run(id: "q2") { status checkpoints { ref } } }',
      ),
    );
    expect(r.run.status).toBe('interrupted');
    expect(r.run.checkpoints.map((c) => c.ref)).toContain('q2/latest');
  });

  it('shows a sweep that workers run: progress, cells and the table across seeds', async () => {
    // What `rcn sweep file --queue` does: plan, save the plan in the runs folder, enqueue the cells.
    const yaml = join(dirs.root, 'two.yaml');
    writeFileSync(
      yaml,
      `base: { dataset: ${DATASET}, backend: wasm, way: 3, query: 2, valQuery: 2, episodes: 2, valEvery: 2, valEpisodes: 1, model: { backbone: conv4, imageSize: 16 } }\n` +
        'seeds: 2\neval: { query: 2, episodes: 2 }\n',
    );
    const plan = planSweep(await readSweepSpec(yaml), { runsDir: dirs.runs, dataDir: sharedDataDir() });
    await saveSweep(dirs.runs, plan);
    const q = `{ sweep(name: "two") { name keys progress { cells done pending } cells { id state accuracy }
      table { done planned mean ci95 accuracies { seed accuracy } } markdown csv } }`;
    type SweepView = {
      name: string;
      progress: { cells: number; done: number; pending: number };
      cells: { id: string; state: string; accuracy: number | null }[];
      table: { done: number; planned: number; mean: number | null; ci95: number | null }[];
      markdown: string;
      csv: string;
    };
    const before = ok(await s.gql<{ sweep: SweepView }>(q)).sweep;
    expect(before.progress).toEqual({ cells: 2, done: 0, pending: 2 });
    const engine = await openRedisEngine({ url });
    try {
      for (const c of plan.cells) await engine.submit(c.id, c.job);
    } finally {
      await engine.close();
    }
    const t0 = Date.now();
    let view = before;
    while (view.progress.done < 2) {
      expect(Date.now() - t0, worker?.log()).toBeLessThan(120_000);
      await new Promise((res) => setTimeout(res, 500));
      view = ok(await s.gql<{ sweep: SweepView }>(q)).sweep;
    }
    const accs = view.cells.map((c) => c.accuracy!);
    expect(view.cells.map((c) => c.state)).toEqual(['done', 'done']);
    expect(view.table).toHaveLength(1);
    expect(view.table[0]).toMatchObject({ done: 2, planned: 2 });
    expect(view.table[0].mean).toBeCloseTo((accs[0] + accs[1]) / 2, 12);
    // Two seeds: half-width t(0.975, 1) * |a - b| / 2 (sample std |a - b| / sqrt(2), over sqrt(2)).
    expect(view.table[0].ci95).toBeCloseTo((12.706204736174698 * Math.abs(accs[0] - accs[1])) / 2, 9);
    expect(view.markdown).toContain('| seeds | accuracy (%) | 95% CI (±) |');
    expect(view.csv.split('\n')[0]).toBe('seeds_done,seeds_planned,mean_accuracy,ci95,std,per_seed');
    const list = ok(await s.gql<{ sweeps: { name: string }[] }>('{ sweeps { name } }')).sweeps;
    expect(list.map((x) => x.name)).toEqual(['two']);
  });
});
