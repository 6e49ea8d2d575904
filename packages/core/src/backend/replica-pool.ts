/**
 * Data-parallel training and evaluation over a `WorkerPool`: one model replica per worker.
 *
 * This side knows no model: it ships weights and episodes to the workers and averages what comes back.
 * The replica itself (which model, how an episode becomes tensors) lives in the task module the caller
 * names (`train/replica-tasks.ts`, started by train's `startReplicas`), so backend/ depends on no folder.
 *
 * A parallel step gives each worker one episode, averages the gradients (and the BatchNorm running
 * statistics) in the main thread, and lets the main thread's optimiser apply them. With one worker this is
 * exactly the single-process step; with W workers a step sees W episodes, i.e. an episode batch of W
 * (documented in the README: it changes the optimisation slightly, as any larger batch does).
 */
import { WorkerPool } from './pool.js';
import type { BackendName } from './select.js';
import { averageWeightMaps, type WeightMap } from './weight-map.js';

export interface ReplicaPoolOptions<Init> {
  workers?: number;
  backend?: BackendName;
  /**
   * Module whose `tasks` implement the replica protocol: `replica.init` (Init -> the replica's config),
   * `replica.gradients` ({ weights, batch } -> GradientsReply), `replica.setWeights`, `replica.predict`
   * ({ weights: null, batch } -> probabilities) and `replica.memory`.
   */
  taskModule: URL;
  /** Sent to every worker's `replica.init`. */
  init: Init;
  /** Aborts start-up: the workers are terminated and `create` rejects. */
  signal?: AbortSignal;
}

/** What a worker's `replica.gradients` returns. */
export interface GradientsReply {
  loss: number;
  /** Correctly classified training queries. */
  correct: number;
  grads: WeightMap;
  /** BatchNorm running statistics after the step. */
  buffers: WeightMap;
}

export interface ParallelGradients {
  /** Mean loss over the episodes. */
  loss: number;
  losses: number[];
  /** Correct training queries per episode. */
  correct: number[];
  grads: WeightMap;
  buffers: WeightMap;
}

/** Replicas that take episodes of type `Batch` and report their model config as `Config`. */
export class ReplicaPool<Batch = unknown, Config = unknown> {
  private constructor(
    readonly pool: WorkerPool,
    readonly config: Config,
  ) {}

  static async create<Batch, Config, Init = unknown>(
    opts: ReplicaPoolOptions<Init>,
  ): Promise<ReplicaPool<Batch, Config>> {
    opts.signal?.throwIfAborted();
    const pool = new WorkerPool({ size: opts.workers, backend: opts.backend, taskModule: opts.taskModule });
    let onAbort: (() => void) | undefined;
    try {
      // Workers load a backend and build a model each: seconds. A signal meanwhile stops them at once.
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new Error('worker start-up interrupted'));
        opts.signal?.addEventListener('abort', onAbort, { once: true });
      });
      const configs = await Promise.race([pool.broadcast<Config>('replica.init', opts.init), aborted]);
      return new ReplicaPool<Batch, Config>(pool, configs[0]);
    } catch (e) {
      await pool.close();
      throw e;
    } finally {
      if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  get workers(): number {
    return this.pool.size;
  }

  /** Gradients of one episode per worker at the given weights, averaged. `batches.length` <= workers. */
  async gradients(weights: WeightMap, batches: Batch[]): Promise<ParallelGradients> {
    if (batches.length === 0 || batches.length > this.pool.size) {
      throw new Error(
        `gradients: expected 1..${this.pool.size} episodes (one per worker), got ${batches.length}`,
      );
    }
    const replies = await Promise.all(
      batches.map((batch, i) => this.pool.runOn<GradientsReply>(i, 'replica.gradients', { weights, batch })),
    );
    const losses = replies.map((r) => r.loss);
    return {
      loss: losses.reduce((a, b) => a + b, 0) / losses.length,
      losses,
      correct: replies.map((r) => r.correct),
      grads: averageWeightMaps(replies.map((r) => r.grads)),
      buffers: averageWeightMaps(replies.map((r) => r.buffers)),
    };
  }

  /** Gives every replica these weights (for `predict`; `gradients` sends its own with each step). */
  async setWeights(weights: WeightMap): Promise<void> {
    await this.pool.broadcast('replica.setWeights', weights);
  }

  /** Probabilities [N*Q x N] for each episode at the weights last set, spread over the workers, in order. */
  async predict(batches: Batch[]): Promise<Float32Array[]> {
    return this.pool.map<{ weights: null; batch: Batch }, Float32Array>(
      'replica.predict',
      batches.map((batch) => ({ weights: null, batch })),
    );
  }

  /** Per worker: wasm heap size (its peak so far) where the backend is wasm. */
  async memory(): Promise<{ wasmHeapBytes: number | null; rssBytes: number }[]> {
    return this.pool.broadcast('replica.memory', null);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
