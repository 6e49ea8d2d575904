/** The `Store` on embedded SQLite (better-sqlite3): synchronous, WAL, one connection per server. */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunOwner, RunSummary } from '@rcn/core';
import { migrate } from './migrations.js';
import type { JobKind, JobOwner, JobPatch, JobRecord, JobStatus, NewJob, Store } from './types.js';

interface JobRow {
  id: string;
  kind: JobKind;
  status: JobStatus;
  config: string;
  run_id: string | null;
  checkpoint: string | null;
  progress: string | null;
  result: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
  owner_pid: number | null;
  owner_host: string | null;
  heartbeat_at: string | null;
}

const parse = (text: string | null): unknown => (text === null ? null : (JSON.parse(text) as unknown));

function toRecord(r: JobRow): JobRecord {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    config: parse(r.config),
    runId: r.run_id,
    checkpoint: r.checkpoint,
    progress: parse(r.progress) as JobRecord['progress'],
    result: parse(r.result),
    error: r.error,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    updatedAt: r.updated_at,
    owner:
      r.owner_pid === null || r.owner_host === null
        ? null
        : { pid: r.owner_pid, host: r.owner_host, heartbeatAt: r.heartbeat_at ?? r.updated_at },
  };
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
  }

  createJob(job: NewJob): JobRecord {
    const now = new Date().toISOString();
    this.db
      .prepare(
        `INSERT INTO jobs (id, kind, status, config, run_id, checkpoint, created_at, updated_at,
           owner_pid, owner_host, heartbeat_at)
         VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        job.id,
        job.kind,
        JSON.stringify(job.config),
        job.runId,
        job.checkpoint,
        now,
        now,
        job.owner?.pid ?? null,
        job.owner?.host ?? null,
        job.owner ? now : null,
      );
    return this.getJob(job.id)!;
  }

  getJob(id: string): JobRecord | null {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? toRecord(row) : null;
  }

  listJobs(opts: { status?: JobStatus[]; limit?: number } = {}): JobRecord[] {
    const limit = Math.max(1, Math.min(opts.limit ?? 100, 1000));
    const rows = opts.status?.length
      ? (this.db
          .prepare(
            `SELECT * FROM jobs WHERE status IN (${opts.status.map(() => '?').join(',')}) ORDER BY created_at DESC LIMIT ?`,
          )
          .all(...opts.status, limit) as JobRow[])
      : (this.db.prepare('SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?').all(limit) as JobRow[]);
    return rows.map(toRecord);
  }

  updateJob(id: string, patch: JobPatch): JobRecord {
    const cols: Record<keyof JobPatch, string> = {
      status: 'status',
      runId: 'run_id',
      progress: 'progress',
      result: 'result',
      error: 'error',
      startedAt: 'started_at',
      finishedAt: 'finished_at',
    };
    const sets: string[] = ['updated_at = ?'];
    const values: unknown[] = [new Date().toISOString()];
    for (const [k, v] of Object.entries(patch) as [keyof JobPatch, unknown][]) {
      sets.push(`${cols[k]} = ?`);
      values.push(k === 'progress' || k === 'result' ? (v === null ? null : JSON.stringify(v)) : v);
    }
    const info = this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
    if (info.changes === 0) throw new Error(`no job '${id}'`);
    return this.getJob(id)!;
  }

  heartbeatJobs(owner: JobOwner): void {
    this.db
      .prepare(
        `UPDATE jobs SET heartbeat_at = ? WHERE owner_pid = ? AND owner_host = ? AND status IN ('queued', 'running')`,
      )
      .run(new Date().toISOString(), owner.pid, owner.host);
  }

  failUnfinished(reason: string, isGone: (owner: RunOwner | null) => boolean = () => true): JobRecord[] {
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(`SELECT * FROM jobs WHERE status IN ('queued', 'running')`)
        .all() as JobRow[];
      const lost = rows.map(toRecord).filter((j) => isGone(j.owner));
      const now = new Date().toISOString();
      const fail = this.db.prepare(
        `UPDATE jobs SET status = 'failed', error = ?, finished_at = ?, updated_at = ? WHERE id = ?`,
      );
      for (const j of lost) fail.run(reason, now, now, j.id);
      return lost;
    })();
  }

  indexRun(s: RunSummary): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, dir, status, dataset, method, episode, best_val_accuracy, started_at, updated_at)
         VALUES (@id, @dir, @status, @dataset, @method, @episode, @best, @startedAt, @updatedAt)
         ON CONFLICT (id) DO UPDATE SET dir = @dir, status = @status, dataset = @dataset, method = @method,
           episode = @episode, best_val_accuracy = @best, started_at = @startedAt, updated_at = @updatedAt`,
      )
      .run({
        id: s.id,
        dir: s.dir,
        status: s.status,
        dataset: s.config.dataset,
        method: s.config.method,
        episode: s.episode,
        best: s.bestValAccuracy,
        startedAt: s.startedAt,
        updatedAt: s.updatedAt,
      });
  }

  pruneRuns(keep: readonly string[]): void {
    const keepSet = new Set(keep);
    const del = this.db.prepare('DELETE FROM runs WHERE id = ?');
    for (const id of this.indexedRunIds()) if (!keepSet.has(id)) del.run(id);
  }

  indexedRunIds(): string[] {
    return (this.db.prepare('SELECT id FROM runs ORDER BY started_at DESC').all() as { id: string }[]).map(
      (r) => r.id,
    );
  }

  migrations(): number[] {
    return (
      this.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]
    ).map((r) => r.version);
  }

  close(): void {
    this.db.close();
  }
}
