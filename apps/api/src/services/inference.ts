/**
 * Predictions and RAMs: validation and shaping on the main thread, model work on a pool of worker threads
 * (so that a forward pass never blocks the server's event loop).
 */
import {
  WorkerPool,
  WORKER_LOST,
  describeCheckpoint,
  type BackendInfo,
  type BackendName,
  type CheckpointDescription,
  type EpisodeSpec,
} from '@rcn/core';
import { GraphQLError } from 'graphql';
import { ErrorCode, apiError, badInput, notFound } from '../graphql/errors.js';
import { errorMessage } from '../util/errors.js';
import type {
  EpisodeResult,
  PartsPayload,
  PartsTaskResult,
  UploadPayload,
  UploadResult,
} from '../workers/inference-tasks.js';
import type { RamResult } from '../workers/pair-ram.js';
import type { TaskEpisodePayload, TaskPredictResult, TaskRamPayload } from '../workers/task-episodes.js';

class WorkerLost extends Error {}

/** Requests waiting for or running in a worker; beyond this the server answers "busy" at once. */
const MAX_PENDING = 64;
/** A forward pass that takes longer than this is abandoned (and its worker pool replaced). */
const TIMEOUT_MS = 120_000;
/** Prototypical parts run many episodes (bounded by `maxPartsEpisodes`): a longer bound. */
const PARTS_TIMEOUT_MS = 600_000;

export class InferenceService {
  /**
   * Started on first use or by `warm()`, never during start-up: each worker loads TensorFlow.js and its
   * backend (seconds on a busy machine), which no query but a model's needs.
   */
  private current: WorkerPool | null = null;
  private pending = 0;

  constructor(
    private readonly size: number,
    private readonly backendName: BackendName,
    private readonly dataDir: string,
  ) {}

  private get pool(): WorkerPool {
    return (this.current ??= this.createPool());
  }

  private createPool(): WorkerPool {
    // The compiled server is plain JS, so the workers can import the task module directly.
    return new WorkerPool({
      size: this.size,
      backend: this.backendName,
      taskModule: new URL('../workers/inference-tasks.js', import.meta.url),
    });
  }

  /** Starts the workers (if not yet) and resolves once each has loaded its backend. */
  warm(): Promise<void> {
    return this.pool.ready();
  }

  /**
   * Runs a task with a bound on queued work and on time. A worker that died or hung takes its requests
   * with it, so the pool is replaced: later requests get fresh workers.
   */
  private async run<T>(
    task: string,
    payload: unknown,
    transfer: ArrayBuffer[] = [],
    timeoutMs = TIMEOUT_MS,
  ): Promise<T> {
    if (this.pending >= MAX_PENDING)
      throw apiError(
        ErrorCode.SERVER_BUSY,
        `the server is busy (${MAX_PENDING} model requests waiting); retry shortly`,
      );
    this.pending++;
    const pool = this.pool;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new WorkerLost(`no answer from the model worker in ${timeoutMs / 1000} s`)),
          timeoutMs,
        );
      });
      return await Promise.race([pool.run<T>(task, payload, transfer), timeout]);
    } catch (e) {
      if (e instanceof WorkerLost || (e as { code?: unknown }).code === WORKER_LOST) {
        if (this.current === pool) {
          this.current = this.createPool();
          void pool.close();
        }
        throw apiError(
          ErrorCode.INTERNAL_SERVER_ERROR,
          `model worker failed (${errorMessage(e)}); it has been restarted`,
        );
      }
      throw e;
    } finally {
      clearTimeout(timer);
      this.pending--;
    }
  }

  /** The backend the workers run (every worker initialises the same one). */
  backend(): Promise<BackendInfo> {
    return this.run('backend.info', null);
  }

  predictEpisode(checkpointDir: string, spec: EpisodeSpec): Promise<EpisodeResult> {
    return this.run('episode.predict', { checkpointDir, dataDir: this.dataDir, spec });
  }

  ram(checkpointDir: string, spec: EpisodeSpec, query: number, support: number): Promise<RamResult> {
    return this.run('episode.ram', { checkpointDir, dataDir: this.dataDir, spec, query, support });
  }

  /** Prototypical parts of a class (one worker, up to 10 minutes; callers cache the result). */
  parts(p: Omit<PartsPayload, 'dataDir'>): Promise<PartsTaskResult> {
    return this.run('parts.compute', { ...p, dataDir: this.dataDir }, [], PARTS_TIMEOUT_MS);
  }

  predictUpload(p: Omit<UploadPayload, 'dataDir'>): Promise<UploadResult> {
    return this.run('upload.predict', { ...p, dataDir: this.dataDir }, [
      p.support.buffer as ArrayBuffer,
      p.queries.buffer as ArrayBuffer,
    ]);
  }

  /** An episode of a tasks file: predictions and the images as the model sees them. */
  predictTask(p: TaskEpisodePayload): Promise<TaskPredictResult> {
    return this.run('tasks.predict', p);
  }

  ramTask(p: TaskRamPayload): Promise<RamResult> {
    return this.run('tasks.ram', p);
  }

  async close(): Promise<void> {
    await this.current?.close();
  }
}

/**
 * Core's typed errors (`code`: CheckpointError, PredictorError, ExplainError) as API errors. The code
 * decides, never the message: a checkpoint core cannot explain by region (a baseline) is NOT_AVAILABLE,
 * a missing one NOT_FOUND; the rest of what core reports is about the request's input (its data, its
 * episode, its checkpoint).
 */
export function coreError(e: unknown): GraphQLError {
  if (e instanceof GraphQLError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  const message = errorMessage(e);
  switch (code) {
    case 'NOT_AN_RCN':
      return apiError(ErrorCode.NOT_AVAILABLE, message);
    case 'CHECKPOINT_NOT_FOUND':
      return notFound(message);
    default:
      return badInput(message);
  }
}

/** Runs `fn`, turning core's errors into API errors by their code. */
export async function mapCoreErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw coreError(e);
  }
}

/** A checkpoint's method, input treatment, geometry and metadata, without loading it (core's rules). */
export function checkpointDescription(dir: string): Promise<CheckpointDescription> {
  return mapCoreErrors(() => describeCheckpoint(dir));
}
