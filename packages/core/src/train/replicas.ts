/** Model replicas on worker threads: backend's generic `ReplicaPool` running `replica-tasks.ts`. */
import { ReplicaPool, type BackendName } from '../backend/index.js';
import type { EpisodeArrays } from '../episodes/index.js';
import type { ModelConfig, ModelConfigInput } from '../model/index.js';
import type { Method } from './types.js';

export interface ReplicaOptions {
  workers?: number;
  backend?: BackendName;
  model: ModelConfigInput;
  /** Few-shot method of the replicas (default rcn). */
  method?: Method;
  /** Aborts start-up: the workers are terminated and the promise rejects. */
  signal?: AbortSignal;
}

/** A pool of model replicas: episodes in, gradients or probabilities out. */
export type ModelReplicas = ReplicaPool<EpisodeArrays, ModelConfig>;

function taskModuleUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./replica-tasks${ext}`, import.meta.url);
}

/** One replica of `opts.model` per worker, each with its own backend instance. */
export function startReplicas(opts: ReplicaOptions): Promise<ModelReplicas> {
  const { model, method = 'rcn', ...rest } = opts;
  return ReplicaPool.create<EpisodeArrays, ModelConfig>({
    ...rest,
    taskModule: taskModuleUrl(),
    init: { ...model, method },
  });
}
