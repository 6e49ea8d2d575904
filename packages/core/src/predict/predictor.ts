/**
 * The Predictor: a checkpoint (opened by `openCheckpoint`) answering episodes with finished predictions,
 * beside the `Explainer`. Everything a client shows comes computed here, once: per query the
 * probabilities, the predicted class and the class scores; per (query, support) pair of an RCN the region
 * scores r_k, weights w_k, contributions w_k r_k and the support's score sum_k w_k r_k (the model's class
 * score is the mean of its supports' scores); the region geometry. Errors are `PredictorError`s with a
 * stable `code`, so servers map them without reading their text.
 */
import * as tf from '@tensorflow/tfjs-core';
import { openDataset, type FewShotDataset, type InputSpec } from '../data/index.js';
import {
  arraysToTensors,
  buildEpisodeArrays,
  type EpisodeArrays,
  sampleEpisode,
  type Episode,
  type EpisodeSpec,
} from '../episodes/index.js';
import {
  CheckpointError,
  type RegionGeometry,
  openCheckpoint,
  type OpenCheckpointOptions,
  type OpenedCheckpoint,
  disposeOutput,
  type Method,
} from '../model/index.js';
import { defaultDataDir } from '../paths/index.js';
import { predictFiles, type PredictOptions, type PredictResult } from './predict.js';
import type { LabelledFile, SupportSet } from './files.js';

export type PredictorErrorCode =
  /** No checkpoint at the reference. */
  | 'CHECKPOINT_NOT_FOUND'
  /** A checkpoint that cannot be used (bad metadata, weights that do not fit). */
  | 'CHECKPOINT_INVALID'
  /** Neither the request nor the checkpoint names a dataset. */
  | 'NO_DATASET'
  /** The dataset, split or episode cannot be read or sampled. */
  | 'BAD_EPISODE'
  /** Inputs of the wrong shape or size for this model. */
  | 'BAD_INPUT';

export class PredictorError extends Error {
  override name = 'PredictorError';
  constructor(
    readonly code: PredictorErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** One support's comparison with one query (RCN only). */
export interface SupportComparison {
  /** Index among the episode's supports (class-major). */
  index: number;
  /** Its class, 0..way-1. */
  label: number;
  /** sum_k w_k r_k: this support's evidence for its class. */
  score: number;
  /** r_k per support region (row-major over the grid). */
  regionScores: number[];
  /** w_k per support region. */
  regionWeights: number[];
  /** w_k r_k per support region. */
  contributions: number[];
}

export interface PredictedQuery {
  index: number;
  /** Softmax over classes. */
  probabilities: number[];
  /** argmax of the probabilities. */
  predicted: number;
  /** The scores the softmax is taken of, per class. */
  classScores: number[];
  /** Per support, for an RCN; empty for methods without regions. */
  supports: SupportComparison[];
}

export interface EpisodePrediction {
  method: Method;
  way: number;
  shot: number;
  /** Regions per image (0 for methods without regions). */
  regions: number;
  /** Where the regions lie in the image; null without a region grid. */
  geometry: RegionGeometry | null;
  queries: PredictedQuery[];
}

/** A sampled episode's prediction, with the episode and the accuracy on its labelled queries. */
export interface PredictedEpisode extends EpisodePrediction {
  episode: Episode;
  accuracy: number;
}

export interface PredictorOptions extends OpenCheckpointOptions {
  /** Where datasets are read (default `defaultDataDir()`). */
  dataDir?: string;
}

function argmax(a: ArrayLike<number>, off: number, n: number): number {
  let b = 0;
  for (let i = 1; i < n; i++) if (a[off + i] > a[off + b]) b = i;
  return b;
}

/** Rethrows what opening a checkpoint threw as a coded error. */
function asPredictorError(e: unknown, fallback: PredictorErrorCode): PredictorError {
  if (e instanceof PredictorError) return e;
  if (e instanceof CheckpointError) return new PredictorError(e.code, e.message);
  return new PredictorError(fallback, e instanceof Error ? e.message : String(e));
}

/** A model's raw episode outputs, as a forward pass or an `EpisodeRam` holds them. */
export interface EpisodeOutputs {
  way: number;
  shot: number;
  /** [Q, way] softmax probabilities and the scores they are taken of. */
  probs: Float32Array;
  classScores: Float32Array;
  /** Regions per image (0 without a region grid). */
  regions: number;
  /** [Q, S, R] r_k and w_k (S = way * shot, class-major); null for methods without regions. */
  regionScores: Float32Array | null;
  regionWeights: Float32Array | null;
}

/**
 * Per query: probabilities, prediction, class scores and, per support, r_k, w_k, w_k r_k and
 * sum_k w_k r_k. The one place this bookkeeping is done (the Predictor, and callers holding an
 * explained episode's RAM, e.g. the API's tasks explorer).
 */
export function episodePrediction(
  o: EpisodeOutputs,
  method: Method,
  geometry: RegionGeometry | null,
): EpisodePrediction {
  const { way, regions } = o;
  const nS = way * o.shot;
  const nQ = o.probs.length / way;
  const r = o.regionScores;
  const w = o.regionWeights;
  const queries: PredictedQuery[] = [];
  for (let q = 0; q < nQ; q++) {
    const supports: SupportComparison[] = [];
    if (r && w) {
      for (let s = 0; s < nS; s++) {
        const at = (q * nS + s) * regions;
        const regionScores = Array.from(r.subarray(at, at + regions));
        const regionWeights = Array.from(w.subarray(at, at + regions));
        const contributions = regionScores.map((x, k) => x * regionWeights[k]);
        supports.push({
          index: s,
          label: Math.floor(s / o.shot),
          score: contributions.reduce((x, y) => x + y, 0),
          regionScores,
          regionWeights,
          contributions,
        });
      }
    }
    queries.push({
      index: q,
      probabilities: Array.from(o.probs.subarray(q * way, (q + 1) * way)),
      predicted: argmax(o.probs, q * way, way),
      classScores: Array.from(o.classScores.subarray(q * way, (q + 1) * way)),
      supports,
    });
  }
  return { method, way, shot: o.shot, regions: r && w ? regions : 0, geometry, queries };
}

/** The fraction of an episode's queries predicted as their label (0 for an episode without queries). */
export function predictionAccuracy(p: EpisodePrediction, episode: Pick<Episode, 'query'>): number {
  const correct = p.queries.filter((q) => q.predicted === episode.query[q.index].label).length;
  return p.queries.length ? correct / p.queries.length : 0;
}

export class Predictor {
  private readonly datasets = new Map<string, Promise<FewShotDataset>>();

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
    let p = this.datasets.get(key);
    if (!p) {
      p = openDataset(dataset, split, {
        dataDir: this.dataDir,
        imageSize: this.checkpoint.model.config.imageSize,
        normalization: this.checkpoint.normalisation,
      });
      p.catch(() => this.datasets.delete(key));
      this.datasets.set(key, p);
    }
    return p;
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
        normalization: this.checkpoint.normalisation,
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
    const size = this.checkpoint.model.config.imageSize;
    const per = size * size * 3;
    const nS = a.way * a.shot;
    const nQ = a.queryLabels.length;
    if (a.way < 2 || a.shot < 1 || nQ < 1)
      throw new PredictorError(
        'BAD_INPUT',
        `an episode needs way >= 2, shot >= 1 and a query (got ${a.way}, ${a.shot}, ${nQ})`,
      );
    if (a.height !== size || a.width !== size)
      throw new PredictorError(
        'BAD_INPUT',
        `images are ${a.height}x${a.width}; the model takes ${size}x${size}`,
      );
    if (a.support.length !== nS * per || a.supportLabels.length !== nS || a.queries.length !== nQ * per)
      throw new PredictorError(
        'BAD_INPUT',
        `expected ${nS} supports and ${nQ} queries of ${size}x${size}x3 values, got ${a.support.length / per} and ${a.queries.length / per}`,
      );
    const model = this.checkpoint.model;
    const t = arraysToTensors(a);
    const out = model.forward(
      { support: t.support, query: t.query, way: a.way, shot: a.shot },
      { training: false, intermediates: false },
    );
    let probs: Float32Array;
    let scores: Float32Array;
    let r: Float32Array | null = null;
    let w: Float32Array | null = null;
    let regions = 0;
    try {
      // Asynchronous reads: the webgpu backend cannot read synchronously under Node.
      probs = (await out.probs.data()) as Float32Array;
      scores = (await out.classScores.data()) as Float32Array;
      if (out.regionScores && out.regionWeights) {
        r = (await out.regionScores.data()) as Float32Array;
        w = (await out.regionWeights.data()) as Float32Array;
        regions = out.regionScores.shape[2];
      }
    } finally {
      disposeOutput(out);
      tf.dispose([t.support, t.query, t.supportLabels, t.queryLabels]);
    }
    return episodePrediction(
      { way: a.way, shot: a.shot, probs, classScores: scores, regions, regionScores: r, regionWeights: w },
      this.checkpoint.method,
      this.checkpoint.geometry,
    );
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
