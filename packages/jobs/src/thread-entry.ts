/** The worker-thread side of `runInThread`: parses the payload, runs the job, reports back. */
import { parentPort, workerData } from 'node:worker_threads';
import { parseJobData, type JobOutcome, type JobProgress } from './payload.js';
import { runJob } from './runner.js';

export type ToThread = { type: 'cancel' };
export type FromThread =
  | { type: 'progress'; progress: JobProgress }
  | { type: 'done'; outcome: JobOutcome }
  | { type: 'error'; message: string };

const port = parentPort;
if (!port) throw new Error('thread-entry must run in a worker thread');
const { data, worker, id } = workerData as { data: unknown; worker: string; id: string };
const abort = new AbortController();
port.on('message', (m: ToThread) => {
  if (m.type === 'cancel') abort.abort();
});
const send = (m: FromThread) => port.postMessage(m);

void (async () => {
  try {
    const outcome = await runJob(parseJobData(data, `job ${id}`), {
      signal: abort.signal,
      worker,
      onProgress: (progress) => send({ type: 'progress', progress }),
    });
    send({ type: 'done', outcome });
  } catch (e) {
    send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
})();
