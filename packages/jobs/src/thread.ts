/**
 * A job in its own worker thread: training and evaluation are CPU-bound, and the thread that owns the
 * job (the API's event loop, or a queue worker renewing its Redis lock) must stay responsive meanwhile.
 */
import { startThread } from '@rcn/core';
import type { JobData, JobOutcome, JobProgress } from './payload.js';
import type { FromThread, ToThread } from './thread-entry.js';

/**
 * A cancelled job whose thread has not stopped by then is terminated. The trainer stops at the end of the
 * current step and saves; the bound only covers a thread that hangs (a full-width ResNet-12 step at 84 px
 * takes over a minute on two cores).
 */
export const CANCEL_GRACE_MS = 300_000;

export interface ThreadJob {
  /** Settles when the job ends: its outcome, or an Error. */
  done: Promise<JobOutcome>;
  /** Cooperative stop (training saves `latest`); terminated after a grace period. */
  cancel(graceMs?: number): void;
  /** Ends the thread at once. */
  terminate(): Promise<void>;
}

export function runInThread(
  id: string,
  data: JobData,
  opts: { worker: string; onProgress?: (p: JobProgress) => void },
): ThreadJob {
  const thread = startThread(import.meta.url, 'thread-entry', {
    workerData: { id, data, worker: opts.worker },
  });
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<JobOutcome>((resolve, reject) => {
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      void thread.terminate();
    };
    thread.on('message', (m: FromThread) => {
      if (m.type === 'progress') opts.onProgress?.(m.progress);
      else if (m.type === 'done') settle(() => resolve(m.outcome));
      else settle(() => reject(new Error(m.message)));
    });
    thread.on('error', (e) => settle(() => reject(e)));
    thread.on('exit', (code) =>
      settle(() => reject(new Error(`job thread exited unexpectedly (code ${code})`))),
    );
  });
  return {
    done,
    cancel(graceMs = CANCEL_GRACE_MS) {
      if (settled) return;
      thread.postMessage({ type: 'cancel' } satisfies ToThread);
      timer ??= setTimeout(() => void thread.terminate(), graceMs);
    },
    async terminate() {
      await thread.terminate();
    },
  };
}
