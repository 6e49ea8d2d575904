/**
 * The Predictor: a checkpoint (opened by `openCheckpoint`) answering episodes with finished predictions,
 * beside the `Explainer`. Everything a client shows comes computed here, once: per query the
 * probabilities, the predicted class and the class scores; per (query, support) pair of an RCN the region
 * scores r_k, weights w_k, contributions w_k r_k and the support's score sum_k w_k r_k (the model's class
 * score is the mean of its supports' scores); the region geometry. Errors are `PredictorError`s with a
 * stable `code`, so servers map them without reading their text.
 */
import { openDataset, type FewShotDataset, type InputSpec } from '../data/index.js';
import {
  buildEpisodeArrays,
  type EpisodeArrays,
  sampleEpisode,
  type Episode,
  type EpisodeSpec,
} from '../episodes/index.js';
import {
  CheckpointError,
  openCheckpoint,
  type OpenCheckpointOptions,
  type OpenedCheckpoint,
} from '../model/index.js';
import { defaultDataDir } from '../paths/index.js';
import {
  type EpisodePrediction,
  predictionAccuracy,
  PredictorError,
  type PredictorErrorCode,
} from './episode-prediction.js';
import { predictFiles, type PredictOptions, type PredictResult } from './predict.js';
import { runEpisode } from './run-episode.js';
import type { LabelledFile, SupportSet } from './files.js';
import { PromiseCache } from '../util/index.js';

/** A sampled episode's prediction, with the episode and the accuracy on its labelled queries. */
export interface PredictedEpisode extends EpisodePrediction {
  episode: Episode;
  accuracy: number;
}

export interface PredictorOptions extends OpenCheckpointOptions {
  /** Where datasets are read (default `defaultDataDir()`). */
  dataDir?: string;
}

/** Rethrows what opening a checkpoint threw as a coded error. */
function asPredictorError(e: unknown, fallback: PredictorErrorCode): PredictorError {
  if (e instanceof PredictorError) return e;
  if (e instanceof CheckpointError) return new PredictorError(e.code, e.message);
  return new PredictorError(fallback, e instanceof Error ? e.message : String(e));
}

export class Predictor {
  private readonly datasets = new PromiseCache<string, FewShotDataset>();

  private constructor(
    readonly checkpoint: OpenedCheckpoint,
    private readonly dataDir: string,
  ) {}

  static async open(ref: string, opts: PredictorOptions = {}): Promise<Predictor> {
    let ck: OpenedCheckpoint;
    try {
      ck = await openCheckpoint(ref, opts);
    } catch (e) {
      throw asPredictorError(e, 'CHECKPOINT_INVALID');
    }
    return new Predictor(ck, opts.dataDir ?? defaultDataDir());
  }

  /** The input treatment images must get before `predictArrays` (the checkpoint's, normalisation included). */
  get input(): InputSpec {
    return this.checkpoint.input;
  }

  /** A split of a dataset at the model's size and the checkpoint's normalisation (opened once). */
  openSplit(dataset: string, split: string): Promise<FewShotDataset> {
    const key = `${dataset}\u0000${split}`;
    return this.datasets.get(key, () =>
      openDataset(dataset, split, {
        dataDir: this.dataDir,
        imageSize: this.checkpoint.model.config.imageSize,
        normalization: this.checkpoint.normalization,
      }),
    );
  }

  /** Samples the episode `spec` names (its dataset, or the checkpoint's) and predicts it. */
  async episode(spec: Omit<EpisodeSpec, 'dataset'> & { dataset?: string }): Promise<PredictedEpisode> {
    const dataset = spec.dataset ?? this.checkpoint.dataset;
    if (!dataset)
      throw new PredictorError('NO_DATASET', `${this.checkpoint.dir}: the checkpoint names no dataset`);
    let episode: Episode;
    let arrays: EpisodeArrays;
    try {
      const ds = await this.openSplit(dataset, spec.split);
      episode = sampleEpisode(ds, { ...spec, dataset });
      arrays = await buildEpisodeArrays(ds, episode, {
        augmentQueries: false,
        normalization: this.checkpoint.normalization,
      });
    } catch (e) {
      throw asPredictorError(e, 'BAD_EPISODE');
    }
    const p = await this.predictArrays(arrays);
    return { ...p, episode, accuracy: predictionAccuracy(p, episode) };
  }

  /**
   * Predicts an episode given as arrays: supports class-major, HWC float32 already treated as `input`
   * says (e.g. uploads decoded with `normalizeImageInto`).
   */
  async predictArrays(a: EpisodeArrays): Promise<EpisodePrediction> {
    return runEpisode(this.checkpoint, a);
  }

  /** The user's own image files (CLI `predict`): each gets the checkpoint's input treatment. */
  files(
    support: SupportSet,
    queries: readonly LabelledFile[],
    opts: PredictOptions = {},
  ): Promise<PredictResult> {
    return predictFiles(this.checkpoint.model, this.checkpoint.input, support, queries, opts);
  }

  dispose(): void {
    this.datasets.clear();
    this.checkpoint.dispose();
  }
}
