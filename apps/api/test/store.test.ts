/** The SQLite store: migrations, job lifecycle, restart recovery, run index. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { deadOwnerReason, type RunSummary, type TrainConfig } from '@rcn/core';
import { MIGRATIONS } from '../src/store/migrations.js';
import { SqliteStore } from '../src/store/sqlite.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dbPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'rcn-store-'));
  dirs.push(d);
  return join(d, 'api.sqlite');
}

describe('SqliteStore', () => {
  it('applies every migration once, and again finds nothing to do', () => {
    const path = dbPath();
    const a = new SqliteStore(path);
    expect(a.migrations()).toEqual(MIGRATIONS.map((m) => m.version));
    a.close();
    const b = new SqliteStore(path);
    expect(b.migrations()).toEqual(MIGRATIONS.map((m) => m.version));
    b.close();
  });

  it('keeps jobs across reopen and fails the unfinished ones', () => {
    const path = dbPath();
    const s = new SqliteStore(path);
    s.createJob({ id: 'a', kind: 'train', config: { x: 1 }, runId: 'r1', checkpoint: null });
    s.createJob({ id: 'b', kind: 'evaluate', config: {}, runId: 'r1', checkpoint: 'r1/best' });
    s.updateJob('a', {
      status: 'running',
      progress: {
        phase: 'train',
        done: 3,
        total: 10,
        loss: 0.2,
        accuracy: 0.5,
        episodesPerSecond: 1,
        etaSeconds: 7,
      },
    });
    s.updateJob('b', { status: 'finished', result: { reportPath: '/x.json' } });
    s.close();
    const t = new SqliteStore(path);
    expect(t.getJob('a')?.progress?.done).toBe(3);
    const lost = t.failUnfinished('restarted');
    expect(lost.map((j) => j.id)).toEqual(['a']);
    expect(t.getJob('a')).toMatchObject({ status: 'failed', error: 'restarted' });
    expect(t.getJob('b')).toMatchObject({ status: 'finished', result: { reportPath: '/x.json' } });
    expect(t.listJobs({ status: ['failed'] }).map((j) => j.id)).toEqual(['a']);
    expect(() => t.updateJob('nope', { status: 'failed' })).toThrow(/no job/);
    t.close();
  });

  it('indexes runs and prunes the ones that are gone', () => {
    const s = new SqliteStore(dbPath());
    const run = (id: string): RunSummary => ({
      id,
      dir: `/runs/${id}`,
      status: 'finished',
      config: { dataset: 'd', method: 'rcn' } as TrainConfig,
      episode: 5,
      bestValAccuracy: 0.5,
      bestValCi95: 0.1,
      bestEpisode: 5,
      startedAt: `2026-01-0${id.length}T00:00:00Z`,
      updatedAt: '2026-01-01T00:00:00Z',
    });
    s.indexRun(run('a'));
    s.indexRun(run('bb'));
    s.indexRun({ ...run('a'), status: 'failed' });
    expect(s.indexedRunIds().sort()).toEqual(['a', 'bb']);
    s.pruneRuns(['bb']);
    expect(s.indexedRunIds()).toEqual(['bb']);
    s.close();
  });

  it("after a restart fails only the jobs whose owner is gone, never a live server's", () => {
    const s = new SqliteStore(dbPath());
    const live = { pid: process.pid, host: hostname() };
    const dead = { pid: spawnSync(process.execPath, ['-e', '']).pid!, host: hostname() };
    s.createJob({ id: 'live', kind: 'train', config: {}, runId: 'r1', checkpoint: null, owner: live });
    s.createJob({ id: 'dead', kind: 'train', config: {}, runId: 'r2', checkpoint: null, owner: dead });
    s.createJob({ id: 'old', kind: 'train', config: {}, runId: 'r3', checkpoint: null });
    s.heartbeatJobs(live);
    expect(s.getJob('live')?.owner).toMatchObject(live);
    const lost = s.failUnfinished('restarted', (o) => !o || deadOwnerReason(o) !== null);
    expect(lost.map((j) => j.id).sort()).toEqual(['dead', 'old']);
    expect(s.getJob('live')?.status).toBe('queued');
    expect(s.getJob('dead')).toMatchObject({ status: 'failed', error: 'restarted' });
    s.close();
  });
});
