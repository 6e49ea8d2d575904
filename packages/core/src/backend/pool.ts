/**
 * A pool of worker threads, each with its own TensorFlow.js backend instance.
 *
 * wasm runs one thread per instance under Node, so using both cores means two instances in two threads.
 * Workers load a task module (a file exporting `tasks`, see `worker-entry.ts`) and answer named requests;
 * typed-array buffers are transferred, not copied, where the caller allows it.
 */
import type { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { BackendName } from './select.js';
import { startThread } from './thread-bootstrap.js';

export interface WorkerPoolOptions {
  /** Number of workers; default: the machine's available parallelism. */
  size?: number;
  /** Backend each worker initialises (default: auto; callers pass the one they resolved). */
  backend?: BackendName;
  /** URL of the module whose exported `tasks` the workers serve. */
  taskModule: URL;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  pending: Map<number, Pending>;
  ready: Promise<void>;
}

/** `code` of the error a task gets when its worker died or failed (a crash, not the task's own throw). */
export const WORKER_LOST = 'WORKER_LOST';

type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { message: string; stack?: string; name?: string; code?: string } };

export class WorkerPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: { task: string; payload: unknown; transfer: ArrayBuffer[]; pending: Pending }[] =
    [];
  private nextId = 1;
  private closed = false;

  constructor(opts: WorkerPoolOptions) {
    this.size = Math.max(1, Math.floor(opts.size ?? availableParallelism()));
    for (let i = 0; i < this.size; i++) {
      const worker = startThread(import.meta.url, 'worker-entry', {
        workerData: {
          backend: opts.backend ?? null,
          taskModule: opts.taskModule.href,
          index: i,
          size: this.size,
        },
      });
      const slot: Slot = { worker, busy: false, pending: new Map(), ready: Promise.resolve() };
      slot.ready = new Promise<void>((resolve, reject) => {
        const onMessage = (m: { ready?: boolean; error?: { message: string } }) => {
          if (m.ready) {
            worker.off('message', onMessage);
            worker.on('message', (r: Reply) => this.onReply(slot, r));
            resolve();
          } else if (m.error) {
            reject(new Error(`worker ${i} failed to start: ${m.error.message}`));
          }
        };
        worker.on('message', onMessage);
        worker.once('error', reject);
      });
      worker.on('error', (e) => this.failSlot(slot, e));
      worker.on('exit', (code) => {
        if (!this.closed) this.failSlot(slot, new Error(`worker ${i} exited unexpectedly with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  /** Resolves once every worker has loaded its backend and task module. */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.ready));
  }

  private failSlot(slot: Slot, e: Error): void {
    // Coded, so callers tell a lost worker from a task's own error without reading the message.
    const lost = Object.assign(new Error(e.message), { name: 'WorkerLostError', code: WORKER_LOST });
    for (const p of slot.pending.values()) p.reject(lost);
    slot.pending.clear();
  }

  private onReply(slot: Slot, r: Reply): void {
    const p = slot.pending.get(r.id);
    if (!p) return;
    slot.pending.delete(r.id);
    slot.busy = false;
    if (r.ok) p.resolve(r.result);
    else {
      const e = new Error(r.error.message);
      e.name = r.error.name ?? 'Error';
      e.stack = r.error.stack;
      if (r.error.code !== undefined) (e as Error & { code?: string }).code = r.error.code;
      p.reject(e);
    }
    this.pump();
  }

  private send(slot: Slot, task: string, payload: unknown, transfer: ArrayBuffer[], pending: Pending): void {
    const id = this.nextId++;
    slot.busy = true;
    slot.pending.set(id, pending);
    slot.worker.postMessage({ id, task, payload }, transfer);
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy) continue;
      const job = this.queue.shift()!;
      this.send(slot, job.task, job.payload, job.transfer, job.pending);
    }
  }

  /** Runs a task on the next free worker. */
  async run<T>(task: string, payload: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) throw new Error('worker pool is closed');
    await this.ready();
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        task,
        payload,
        transfer,
        pending: { resolve: resolve as (v: unknown) => void, reject },
      });
      this.pump();
    });
  }

  /** Runs a task on one specific worker (for per-worker state such as a model replica). */
  async runOn<T>(index: number, task: string, payload: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.closed) throw new Error('worker pool is closed');
    await this.ready();
    const slot = this.slots[index];
    if (!slot) throw new Error(`no worker ${index} in a pool of ${this.size}`);
    if (slot.busy)
      throw new Error(`worker ${index} is busy; runOn expects the caller to wait for its previous task`);
    return new Promise<T>((resolve, reject) => {
      this.send(slot, task, payload, transfer, { resolve: resolve as (v: unknown) => void, reject });
    });
  }

  /** Runs the same task on every worker (payload is structured-cloned to each). */
  async broadcast<T>(task: string, payload: unknown): Promise<T[]> {
    return Promise.all(this.slots.map((_, i) => this.runOn<T>(i, task, payload)));
  }

  /** Runs `task` over `items` on all workers; results keep the items' order. */
  async map<I, T>(task: string, items: I[]): Promise<T[]> {
    return Promise.all(items.map((item) => this.run<T>(task, item)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
