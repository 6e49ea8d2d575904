/**
 * Data-parallel training and evaluation over a `WorkerPool`: one model replica per worker.
 *
 * A parallel step gives each worker one episode, averages the gradients (and the BatchNorm running
 * statistics) in the main thread, and lets the main thread's optimiser apply them. With one worker this is
 * exactly the single-process step; with W workers a step sees W episodes, i.e. an episode batch of W
 * (documented in the README: it changes the optimisation slightly, as any larger batch does).
 */
import { WorkerPool } from '../backend/pool.js';
import type { BackendName } from '../backend/select.js';
import type { EpisodeArrays } from '../episodes/batch.js';
import type { ModelConfig, ModelConfigInput } from '../model/config.js';
import type { WeightMap } from '../model/params.js';
import type { GradientsReply } from './replica-tasks.js';
import type { Method } from './types.js';
import { averageWeightMaps } from './weights.js';

export interface ReplicaPoolOptions {
  workers?: number;
  backend?: BackendName;
  model: ModelConfigInput;
  /** Few-shot method of the replicas (default rcn). */
  method?: Method;
  /** Aborts start-up: the workers are terminated and `create` rejects. */
  signal?: AbortSignal;
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

function taskModuleUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./replica-tasks${ext}`, import.meta.url);
}

export class ReplicaPool {
  private constructor(
    readonly pool: WorkerPool,
    readonly config: ModelConfig,
  ) {}

  static async create(opts: ReplicaPoolOptions): Promise<ReplicaPool> {
    opts.signal?.throwIfAborted();
    const pool = new WorkerPool({ size: opts.workers, backend: opts.backend, taskModule: taskModuleUrl() });
    let onAbort: (() => void) | undefined;
    try {
      // Workers load a backend and build a model each: seconds. A signal meanwhile stops them at once.
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new Error('worker start-up interrupted'));
        opts.signal?.addEventListener('abort', onAbort, { once: true });
      });
      const configs = await Promise.race([
        pool.broadcast<ModelConfig>('replica.init', { ...opts.model, method: opts.method ?? 'rcn' }),
        aborted,
      ]);
      return new ReplicaPool(pool, configs[0]);
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
  async gradients(weights: WeightMap, batches: EpisodeArrays[]): Promise<ParallelGradients> {
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
  async predict(batches: EpisodeArrays[]): Promise<Float32Array[]> {
    return this.pool.map<{ weights: null; batch: EpisodeArrays }, Float32Array>(
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
