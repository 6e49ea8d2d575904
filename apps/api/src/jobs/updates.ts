/**
 * A job's updates as an async iterator for subscriptions: the current state first, then every change,
 * ending after a final state. `return()` (client unsubscribed) detaches at once, even while waiting.
 */
import type { JobRecord } from '../store/types.js';
import type { JobListener } from './manager.js';

const FINAL = new Set(['finished', 'failed', 'cancelled']);

export function jobUpdates(
  jobs: { subscribe(fn: JobListener): () => void },
  first: JobRecord,
): AsyncIterableIterator<JobRecord> {
  const queue: JobRecord[] = [first];
  let waiting: ((r: IteratorResult<JobRecord>) => void) | null = null;
  let done = false;
  const off = jobs.subscribe((j) => {
    if (j.id !== first.id || done) return;
    if (waiting) {
      const w = waiting;
      waiting = null;
      w({ value: j, done: false });
    } else queue.push(j);
  });
  const finish = (): IteratorResult<JobRecord> => {
    done = true;
    off();
    waiting?.({ value: undefined, done: true });
    waiting = null;
    return { value: undefined, done: true };
  };
  let last: JobRecord | null = null;
  const iterator: AsyncIterableIterator<JobRecord> = {
    async next() {
      if (done || (last && FINAL.has(last.status))) return finish();
      const r = queue.length
        ? { value: queue.shift()!, done: false as const }
        : await new Promise<IteratorResult<JobRecord>>((resolve) => (waiting = resolve));
      if (!r.done) last = r.value;
      return r;
    },
    async return() {
      return finish();
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
