/** The subscription iterator: state first, every change, ends on a final state, detaches on return(). */
import { describe, expect, it } from 'vitest';
import type { JobListener } from '../src/jobs/manager.js';
import { jobUpdates } from '../src/jobs/updates.js';
import type { JobRecord } from '../src/store/types.js';

function emitter() {
  const listeners = new Set<JobListener>();
  return {
    listeners,
    subscribe(fn: JobListener) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    emit(j: JobRecord) {
      for (const fn of listeners) fn(j);
    },
  };
}

const job = (id: string, status: JobRecord['status']): JobRecord => ({
  id,
  kind: 'train',
  status,
  config: {},
  runId: null,
  checkpoint: null,
  progress: null,
  result: null,
  error: null,
  owner: null,
  createdAt: '',
  startedAt: null,
  finishedAt: null,
  updatedAt: '',
});

describe('jobUpdates', () => {
  it('yields the current state, then updates of that job only, and ends after a final state', async () => {
    const e = emitter();
    const it = jobUpdates(e, job('a', 'queued'));
    expect((await it.next()).value?.status).toBe('queued');
    const next = it.next();
    e.emit(job('b', 'running'));
    e.emit(job('a', 'running'));
    e.emit(job('a', 'finished'));
    expect((await next).value?.status).toBe('running');
    expect((await it.next()).value?.status).toBe('finished');
    expect((await it.next()).done).toBe(true);
    expect(e.listeners.size).toBe(0);
  });

  it('detaches at once when the client unsubscribes while waiting', async () => {
    const e = emitter();
    const it = jobUpdates(e, job('a', 'running'));
    await it.next();
    const pending = it.next();
    await it.return!();
    expect((await pending).done).toBe(true);
    expect(e.listeners.size).toBe(0);
  });
});
