/**
 * The worker side of `WorkerPool`: initialises its own backend, loads the task module, and answers
 * `{ id, task, payload }` messages with `{ id, ok, result | error }`.
 *
 * A task module exports `tasks: Record<string, (payload, ctx) => result | Promise<result>>`; a task may
 * return `{ value, transfer }` via `transferable()` to hand buffers back without copying.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { checkWorkers, initBackend, parseBackendName } from './select.js';
import { TRANSFER, type TaskModule } from './tasks.js';

interface Data {
  backend: string | null;
  taskModule: string;
  index: number;
  size: number;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('worker-entry must run in a worker thread');
  const data = workerData as Data;
  try {
    const info = await initBackend(data.backend ? parseBackendName(data.backend) : undefined);
    checkWorkers(info, data.size, 'workers');
    const mod = (await import(data.taskModule)) as TaskModule;
    if (!mod.tasks) throw new Error(`${data.taskModule} exports no 'tasks'`);
    const ctx = { index: data.index, backend: info };
    port.on('message', async (m: { id: number; task: string; payload: unknown }) => {
      try {
        const fn = mod.tasks[m.task];
        if (!fn) throw new Error(`unknown task '${m.task}' (have: ${Object.keys(mod.tasks).join(', ')})`);
        const out = await fn(m.payload as never, ctx);
        if (out && typeof out === 'object' && TRANSFER in out) {
          const t = out as { value: unknown; [TRANSFER]: ArrayBuffer[] };
          port.postMessage({ id: m.id, ok: true, result: t.value }, t[TRANSFER]);
        } else {
          port.postMessage({ id: m.id, ok: true, result: out });
        }
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        port.postMessage({
          id: m.id,
          ok: false,
          // A typed error's `code` crosses the thread, so callers sort errors by code, never by message text.
          error: { message: err.message, stack: err.stack, name: err.name, code: codeOf(err) },
        });
      }
    });
    port.postMessage({ ready: true });
  } catch (e) {
    port.postMessage({ error: { message: e instanceof Error ? e.message : String(e) } });
  }
}

function codeOf(e: Error): string | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

void main();
