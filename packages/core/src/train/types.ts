/** Configuration, events and summaries of training runs; shared by the trainer, the CLI and the API. */
import type { BackendName } from '../backend/index.js';
import type { ModelConfigInput, Method } from '../model/index.js';

export type { Method };

export interface TrainConfig {
  method: Method;
  /** Registry name of the dataset (see `findDatasets`), e.g. `omniglot`, `tiny-imagenet-32`. */
  dataset: string;
  /** Data directory; default `defaultDataDir()`. */
  dataDir?: string;
  trainSplit: string;
  valSplit: string;
  /** Model architecture; `imageSize` defaults to the dataset's. */
  model: ModelConfigInput;
  way: number;
  shot: number;
  /** Training queries per class (the reference uses 10). */
  query: number;
  /** Validation queries per class (15). */
  valQuery: number;
  /** Training episodes in total. */
  episodes: number;
  /** Validate every V training episodes. */
  valEvery: number;
  /** Size of the fixed validation episode set. */
  valEpisodes: number;
  /** Adam learning rate. */
  lr: number;
  /** Gradient-norm clipping per module (backbone, head); 0 disables. */
  clipNorm: number;
  /** ReduceLROnPlateau on validation accuracy (mode max). */
  lrFactor: number;
  lrPatience: number;
  /**
   * Stops training once this many validations in a row brought no new best (0: never). With the plateau
   * schedule this is the convergence rule: the learning rate has been cut and the model still does not improve.
   */
  earlyStop: number;
  /** Input normalisation, (pixel / 255 - mean) / std per channel; default: the dataset's. */
  normalization?: { mean: [number, number, number]; std: [number, number, number] };
  /** Augment training queries as the reference does. */
  augment: boolean;
  /** Seed of every random stream (episodes, augmentation, initialisation). */
  seed: number;
  /** Worker threads; each step trains one episode per worker, gradients averaged. */
  workers: number;
  backend: BackendName;
}

export type RunStatus = 'running' | 'finished' | 'failed' | 'cancelled' | 'interrupted';

/** One line of `metrics.jsonl`. */
export type MetricEvent =
  | {
      type: 'train';
      /** Training episodes done so far. */
      episode: number;
      loss: number;
      accuracy: number;
      lr: number;
      episodesPerSecond: number;
      time: string;
    }
  | {
      type: 'val';
      episode: number;
      accuracy: number;
      /** Half-width of the 95% confidence interval. */
      ci95: number;
      loss: number;
      lr: number;
      best: boolean;
      time: string;
      /**
       * Seconds this run has trained so far, summed over its processes (a resumed run does not count the
       * time it was stopped); absent in runs recorded before it was.
       */
      elapsedSeconds?: number;
    };

export interface RunSummary {
  id: string;
  dir: string;
  status: RunStatus;
  config: TrainConfig;
  /** Training episodes done. */
  episode: number;
  bestValAccuracy: number | null;
  bestValCi95: number | null;
  bestEpisode: number | null;
  startedAt: string;
  updatedAt: string;
  error?: string;
  /** Why a finished run stopped before its planned episodes: `early-stop` (see TrainConfig.earlyStop). */
  stopReason?: 'early-stop';
  /** Seconds spent training, over all its processes. */
  elapsedSeconds?: number;
  /**
   * The process training the run, while it runs: readers that find it gone (its pid dead on this host, or
   * no heartbeat for a long time) report the run as `interrupted` instead of `running` for ever.
   */
  owner?: RunOwner;
}

export interface RunOwner {
  pid: number;
  host: string;
  /** Refreshed every few seconds while the trainer is alive. */
  heartbeatAt: string;
}
