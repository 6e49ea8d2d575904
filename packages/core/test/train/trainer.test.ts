/**
 * The trainer on real data (tiny-imagenet-32, Conv4 RCN, small episodes): a run directory with metrics,
 * checkpoints and status; exact resume (N + M episodes == N, interrupt, resume, M); divergence handling;
 * and the worker-pool path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { readCheckpoint } from '../../src/model/index.js';
import {
  RunDir,
  TrainingAbortedError,
  defaultTrainConfig,
  listRuns,
  train,
  type TrainConfig,
} from '../../src/train/index.js';
import { HEARTBEAT_STALE_MS, currentOwner } from '../../src/train/run-dir.js';
import { type MetricEvent } from '../../src/train/types.js';
import { requireSharedData } from '@rcn/test-utils';

const data = requireSharedData('tiny-imagenet-32');

function tinyConfig(over: Partial<TrainConfig> = {}): TrainConfig {
  return defaultTrainConfig({
    dataset: 'tiny-imagenet-32',
    dataDir: data.dir,
    model: { backbone: 'conv4' },
    way: 5,
    shot: 1,
    query: 2,
    valQuery: 2,
    episodes: 6,
    valEvery: 3,
    valEpisodes: 4,
    workers: 1,
    backend: 'wasm',
    seed: 5,
    ...over,
  });
}

describe.skipIf(!data.available)('episodic trainer', () => {
  let runs: string;
  beforeAll(async () => {
    await initBackend('wasm');
    runs = await mkdtemp(join(tmpdir(), 'rcn-runs-'));
  });
  afterAll(async () => {
    await rm(runs, { recursive: true, force: true });
  });

  it('writes a complete run directory: config, metrics, latest and best checkpoints, status', async () => {
    const events: MetricEvent[] = [];
    const before = tf.memory().numTensors;
    const s = await train(tinyConfig(), {
      runsDir: runs,
      runId: 'basic',
      logEvery: 2,
      onEvent: (e) => events.push(e),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(s.status).toBe('finished');
    expect(s.episode).toBe(6);
    const run = await RunDir.open(join(runs, 'basic'));
    const metrics = await run.metrics();
    expect(metrics).toEqual(events);
    expect(metrics.filter((e) => e.type === 'train').map((e) => e.episode)).toEqual([2, 4, 6]);
    const vals = metrics.filter((e) => e.type === 'val');
    expect(vals.map((e) => e.episode)).toEqual([3, 6]);
    for (const v of vals) {
      expect(v.accuracy).toBeGreaterThanOrEqual(0);
      expect(v.accuracy).toBeLessThanOrEqual(1);
      expect(Number.isFinite(v.ci95) && v.ci95 >= 0).toBe(true);
    }
    expect(s.bestValAccuracy).toBe(Math.max(...vals.map((v) => v.accuracy)));
    expect(existsSync(join(run.latestDir, 'trainer-state.json'))).toBe(true);
    expect(existsSync(join(run.bestDir, 'model.json'))).toBe(true);
    const listed = await listRuns(runs);
    expect(listed.find((r) => r.id === 'basic')?.status).toBe('finished');
  });

  it('resumes exactly: 4 episodes, interrupt, resume to 6 equals 6 uninterrupted', async () => {
    await train(tinyConfig(), { runsDir: runs, runId: 'straight' });
    const ac = new AbortController();
    const partial = await train(tinyConfig(), {
      runsDir: runs,
      runId: 'resumed',
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'train' && p.episode === 4) ac.abort();
      },
    });
    expect(partial.status).toBe('interrupted');
    expect(partial.episode).toBe(4);
    const done = await train(null, { resumeDir: join(runs, 'resumed') });
    expect(done.status).toBe('finished');
    const a = await readCheckpoint(join(runs, 'straight', 'checkpoints', 'latest'));
    const b = await readCheckpoint(join(runs, 'resumed', 'checkpoints', 'latest'));
    expect([...b.weights.keys()]).toEqual([...a.weights.keys()]);
    for (const [name, t] of a.weights) expect(b.weights.get(name)!.data, name).toEqual(t.data);
    // Wall-clock fields differ between any two runs; everything else must not.
    const clockless = (e: MetricEvent) => ({
      ...e,
      time: '',
      episodesPerSecond: 0,
      ...(e.type === 'val' ? { elapsedSeconds: 0 } : {}),
    });
    const ma = (await new RunDir(join(runs, 'straight')).metrics()).map(clockless);
    const mb = (await new RunDir(join(runs, 'resumed')).metrics()).map(clockless);
    expect(mb.filter((e) => e.type === 'val')).toEqual(ma.filter((e) => e.type === 'val'));
  });

  it('stops a diverging run with a clear message and keeps the last good checkpoint', async () => {
    await train(tinyConfig({ episodes: 2, valEvery: 2, valEpisodes: 1 }), {
      runsDir: runs,
      runId: 'diverge',
    });
    const run = await RunDir.open(join(runs, 'diverge'));
    const good = await readCheckpoint(run.latestDir);
    // Inputs scaled by 1e40 overflow float32, so the next step's loss is NaN.
    const cfg = await run.config();
    await writeFile(
      run.configPath,
      JSON.stringify({ ...cfg, normalization: { mean: [0.5, 0.5, 0.5], std: [1e-40, 1e-40, 1e-40] } }),
    );
    await expect(train(null, { resumeDir: run.dir, episodes: 20 })).rejects.toThrow(
      /episode 3: the loss or its gradient is not finite/,
    );
    const status = await run.status();
    expect(status?.status).toBe('failed');
    expect(status?.error).toMatch(/not finite/);
    const kept = await readCheckpoint(run.latestDir);
    for (const [name, t] of good.weights) {
      expect(kept.weights.get(name)!.data, name).toEqual(t.data);
      expect(t.data.every(Number.isFinite), name).toBe(true);
    }
  });

  it('trains with two workers (one episode each per step) and records the same run layout', async () => {
    const s = await train(tinyConfig({ workers: 2, episodes: 4, valEvery: 4 }), {
      runsDir: runs,
      runId: 'two-workers',
      logEvery: 2,
    });
    expect(s.status).toBe('finished');
    const metrics = await new RunDir(join(runs, 'two-workers')).metrics();
    expect(metrics.filter((e) => e.type === 'train').map((e) => e.episode)).toEqual([2, 4]);
  });

  it('stops early after earlyStop validations without a new best, and a resume trains no further', async () => {
    // A learning rate this small leaves every prediction as it was: no validation can beat the first.
    const cfg = tinyConfig({ lr: 1e-12, episodes: 40, valEvery: 2, earlyStop: 2 });
    const s = await train(cfg, { runsDir: runs, runId: 'early' });
    expect(s.status).toBe('finished');
    expect(s.stopReason).toBe('early-stop');
    const vals = (await new RunDir(join(runs, 'early')).metrics()).filter((e) => e.type === 'val');
    expect(vals.map((v) => v.best)).toEqual([true, false, false]);
    expect(s.episode).toBe(6);
    expect(s.bestEpisode).toBe(2);
    // Training time grows from one validation to the next and the summary counts all of it.
    const secs = vals.map((v) => v.elapsedSeconds!);
    for (let i = 1; i < secs.length; i++) expect(secs[i]).toBeGreaterThan(secs[i - 1]);
    expect(s.elapsedSeconds!).toBeGreaterThanOrEqual(secs.at(-1)!);
    const again = await train(null, { resumeDir: join(runs, 'early'), episodes: 60 });
    expect(again.episode).toBe(6);
    expect(again.stopReason).toBe('early-stop');
    expect(again.elapsedSeconds!).toBeGreaterThanOrEqual(s.elapsedSeconds!);
  });

  it('a resumed run counts the training time of its earlier processes, not the pause', async () => {
    const ac = new AbortController();
    const first = await train(tinyConfig({ episodes: 6, valEvery: 2 }), {
      runsDir: runs,
      runId: 'timed',
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'train' && p.episode === 3) ac.abort();
      },
    });
    expect(first.status).toBe('interrupted');
    const pauseMs = 1500;
    await new Promise((r) => setTimeout(r, pauseMs));
    const t0 = Date.now();
    const done = await train(null, { resumeDir: join(runs, 'timed') });
    const secondSeconds = (Date.now() - t0) / 1000;
    expect(done.status).toBe('finished');
    // Everything both processes trained, and nothing of the pause between them.
    expect(done.elapsedSeconds!).toBeGreaterThan(first.elapsedSeconds!);
    expect(done.elapsedSeconds!).toBeLessThanOrEqual(first.elapsedSeconds! + secondSeconds + 1e-3);
  });

  it('rejects a bad config naming the field', async () => {
    await expect(train({ ...tinyConfig(), way: 1 }, { runsDir: runs })).rejects.toThrow(
      /way: expected an integer >= 2/,
    );
    await expect(
      train({ ...tinyConfig(), dataset: 'no-such-dataset' }, { runsDir: runs, runId: 'bad-ds' }),
    ).rejects.toThrow(/no-such-dataset/);
    // Validation failures happen before the run folder is made: nothing is left behind.
    expect(existsSync(join(runs, 'bad-ds'))).toBe(false);
    await expect(
      train(
        { ...tinyConfig(), model: { backbone: 'conv4', imageSize: 100_000 } },
        {
          runsDir: runs,
          runId: 'big',
        },
      ),
    ).rejects.toThrow(/imageSize: 100000 is over the limit of 512/);
    await expect(train({ ...tinyConfig(), episodes: 1e12 }, { runsDir: runs })).rejects.toThrow(
      /episodes: 1000000000000 is over the limit/,
    );
    expect(existsSync(join(runs, 'big'))).toBe(false);
  });
});

const omniglot = requireSharedData('omniglot');

describe.skipIf(!omniglot.available)('stopping', () => {
  let runs: string;
  beforeAll(async () => {
    await initBackend('wasm');
    runs = await mkdtemp(join(tmpdir(), 'rcn-stop-'));
  });
  afterAll(async () => {
    await rm(runs, { recursive: true, force: true });
  });

  it('stops at the end of the current step when the signal comes as an event (SIGINT, a cancel message)', async () => {
    // Omniglot lives in memory: a step does no I/O, so only an explicit yield lets the event run.
    const cfg = defaultTrainConfig({
      dataset: 'omniglot',
      dataDir: omniglot.dir,
      model: { backbone: 'conv4' },
      way: 5,
      shot: 1,
      query: 1,
      valQuery: 1,
      episodes: 300,
      valEvery: 300,
      valEpisodes: 1,
      workers: 1,
      backend: 'wasm',
    });
    const ac = new AbortController();
    const s = await train(cfg, {
      runsDir: runs,
      runId: 'event',
      signal: ac.signal,
      logEvery: 200,
      onProgress: (p) => {
        if (p.phase === 'train' && p.episode === 3) setTimeout(() => ac.abort(), 0);
      },
    });
    expect(s.status).toBe('interrupted');
    expect(s.episode).toBeGreaterThanOrEqual(3);
    expect(s.episode).toBeLessThanOrEqual(4);
    const state = JSON.parse(
      await readFile(join(runs, 'event', 'checkpoints', 'latest', 'trainer-state.json'), 'utf8'),
    ) as { progress: { episode: number } };
    expect(state.progress.episode).toBe(s.episode);
  });

  it('an interrupted start-up rejects with TrainingAbortedError and leaves no run folder', async () => {
    const ac = new AbortController();
    ac.abort();
    const cfg = defaultTrainConfig({
      dataset: 'omniglot',
      dataDir: omniglot.dir,
      way: 5,
      query: 1,
      valQuery: 1,
      episodes: 2,
      workers: 1,
      backend: 'wasm',
    });
    await expect(train(cfg, { runsDir: runs, runId: 'never', signal: ac.signal })).rejects.toBeInstanceOf(
      TrainingAbortedError,
    );
    expect(existsSync(join(runs, 'never'))).toBe(false);
  });

  it('a resumed run without any checkpoint restarts from scratch; a running one cannot be resumed', async () => {
    const cfg = defaultTrainConfig({
      dataset: 'omniglot',
      dataDir: omniglot.dir,
      model: { backbone: 'conv4' },
      way: 5,
      shot: 1,
      query: 1,
      valQuery: 1,
      episodes: 2,
      valEvery: 2,
      valEpisodes: 1,
      backend: 'wasm',
    });
    const run = await RunDir.create(runs, cfg, 'no-checkpoint');
    const t = new Date().toISOString();
    const running = {
      id: run.id,
      dir: run.dir,
      status: 'running' as const,
      config: cfg,
      episode: 0,
      bestValAccuracy: null,
      bestValCi95: null,
      bestEpisode: null,
      startedAt: t,
      updatedAt: t,
    };
    // Alive (this process) with a fresh heartbeat: refused.
    await run.writeStatus({ ...running, owner: { ...currentOwner(), heartbeatAt: t } });
    await expect(train(null, { resumeDir: run.dir })).rejects.toThrow(/is still running \(pid/);
    // Silent for longer than the stale limit: interrupted on read, and resumable.
    const old = new Date(Date.now() - HEARTBEAT_STALE_MS - 1000).toISOString();
    await run.writeStatus({ ...running, owner: { pid: process.pid, host: 'elsewhere', heartbeatAt: old } });
    expect((await run.status())?.status).toBe('interrupted');
    expect((await run.status())?.error).toMatch(/no heartbeat .* on elsewhere/);
    const s = await train(null, { resumeDir: run.dir });
    expect(s).toMatchObject({ status: 'finished', episode: 2 });
    expect((await run.status())?.owner).toBeUndefined();
  });
});
