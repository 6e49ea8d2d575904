/**
 * Errors cross the worker thread with their `code`: a task's typed error keeps its code, and a task whose
 * worker died fails with WORKER_LOST, so callers (the API) sort errors by code, never by message text.
 */
import { describe, expect, it } from 'vitest';
import { WORKER_LOST, WorkerPool } from '../../src/backend/index.js';

const taskModule = new URL('./pool-codes-tasks.ts', import.meta.url);

describe('worker pool error codes', () => {
  it("keeps a task error's code, and codes a lost worker WORKER_LOST", async () => {
    const pool = new WorkerPool({ size: 1, backend: 'cpu', taskModule });
    try {
      await pool.ready();
      await expect(pool.run('coded', null)).rejects.toMatchObject({
        code: 'CHECKPOINT_NOT_FOUND',
        message: 'no such checkpoint',
      });
      await expect(pool.run('die', null)).rejects.toMatchObject({ code: WORKER_LOST });
    } finally {
      await pool.close();
    }
  });
});
