/**
 * The base every few-shot method extends, as easyfsl's `FewShotClassifier`: RCN, Prototypical Networks and
 * Relation Network share the backbone (`Conv4`, `ResNet12`), the `ParamStore` and canonical names
 * (`encoder.*` for the backbone, `head.*` for the method's own parameters, so per-module clipping treats
 * them alike), each image set encoded separately with its own batch statistics (supports first, then
 * queries), and the training step: the backbone's forward and backward passes scheduled by hand (see
 * backward/), the head differentiated by TF.js's autodiff, the two joined at the features' gradients. A
 * method gives its head (features to class scores and probabilities) and its loss.
 *
 * Of `ModelConfig`, every method uses the backbone fields and the BatchNorm settings; the region fields
 * are RCN's.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, LayerContext } from '../backward/backbone.js';
import type { BranchOverrides } from '../backward/branches.js';
import { episodeGradients } from '../backward/episode-gradients.js';
import { createBackbone } from '../backbones/create.js';
import { featureMapSize, resolveModelConfig, type ModelConfig, type ModelConfigInput } from '../config.js';
import { ParamStore, type WeightMap } from '../params.js';
import {
  type EpisodeBatch,
  type FewShotModel,
  type Method,
  type ForwardOptions,
  type ForwardOutput,
  type GradientOptions,
  type GradientResult,
} from '../types.js';
import type { HeadContext } from './region-weights.js';

/** What every head computes from the features: [N*Q, N] each. */
export interface ClassifierHeadOutput {
  probs: tf.Tensor2D;
  classScores: tf.Tensor2D;
}

/** The query labels of a batch; the loss needs them. */
export function batchLabels(batch: EpisodeBatch): tf.Tensor1D {
  if (!batch.queryLabels) throw new Error('model: the loss needs batch.queryLabels');
  return batch.queryLabels;
}

/** One-hot float labels [Q, N]. */
export function oneHotLabels(labels: tf.Tensor1D, way: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, way).toFloat() as tf.Tensor2D);
}

export abstract class FewShotClassifier<
  H extends ClassifierHeadOutput = ClassifierHeadOutput,
> implements FewShotModel {
  abstract readonly method: Method;
  readonly config: ModelConfig;
  readonly store: ParamStore;
  readonly backbone: Backbone;

  constructor(config: ModelConfigInput) {
    this.config = resolveModelConfig(config);
    this.store = new ParamStore(this.config.seed);
    this.backbone = createBackbone(this.store, this.config);
  }

  /**
   * Everything after the backbone, differentiable by TF.js's autodiff: `sf` [N*K, h, w, C] class-major, `qf`
   * [N*Q, h, w, C]. In training mode the head's BatchNorm running statistics (if any) are updated.
   * `branches`: test-only overrides at near-ties (see backward/branches.ts), for heads that have any.
   */
  abstract head(
    sf: tf.Tensor4D,
    qf: tf.Tensor4D,
    way: number,
    shot: number,
    training: boolean,
    branches?: BranchOverrides,
  ): H;

  /** The method's training loss from a head output (the paper's). */
  protected abstract lossFrom(out: ClassifierHeadOutput, labels: tf.Tensor1D, way: number): tf.Scalar;

  /**
   * A head output as the model's output: probabilities and class scores, and what else the method reports
   * (RCN: its region scores and weights; with `intermediates`, its regions too).
   */
  protected output(h: H, _intermediates: boolean): ForwardOutput {
    return { probs: h.probs, classScores: h.classScores };
  }

  /** The head's tensors that `output` leaves out (disposed after a forward pass). */
  protected unreported(_h: H, _intermediates: boolean): tf.Tensor[] {
    return [];
  }

  protected layerContext(training: boolean, pass: string): LayerContext {
    return {
      training,
      batchStats: training || this.config.bnInference === 'batch',
      bnMomentum: this.config.bnMomentum,
      bnEps: this.config.bnEps,
      pass,
    };
  }

  /** BatchNorm settings of the head's layers (the same rule as RCN's region-weight network). */
  protected headContext(training: boolean): HeadContext {
    const ctx = this.layerContext(training, 'head');
    return {
      batchStats: ctx.batchStats,
      updateStats: training,
      bnMomentum: ctx.bnMomentum,
      bnEps: ctx.bnEps,
      pass: 'head',
    };
  }

  private checkBatch(batch: EpisodeBatch): void {
    const { support, query, way, shot } = batch;
    if (!Number.isInteger(way) || way < 1 || !Number.isInteger(shot) || shot < 1)
      throw new Error(`model: bad way/shot ${way}/${shot}`);
    if (support.shape[0] !== way * shot) {
      throw new Error(
        `model: ${support.shape[0]} support images for ${way}-way ${shot}-shot (expected ${way * shot}, class-major)`,
      );
    }
    for (const images of [support, query]) this.checkImages(images);
    if (support.shape[1] !== query.shape[1] || support.shape[2] !== query.shape[2])
      throw new Error('model: support and query images differ in size');
    if (batch.queryLabels && batch.queryLabels.shape[0] !== query.shape[0]) {
      throw new Error(`model: ${batch.queryLabels.shape[0]} labels for ${query.shape[0]} queries`);
    }
  }

  private checkImages(images: tf.Tensor4D): void {
    if (images.shape[3] !== 3)
      throw new Error(`model: images must be NHWC with 3 channels, got [${images.shape.join(', ')}]`);
  }

  /**
   * Backbone features [B, h, w, C] of one image set (its own batch statistics). In training mode the running
   * statistics are updated. Plain TF.js ops, so differentiable by its autodiff, but training steps should use
   * `computeGradients`, whose hand-scheduled backbone backward pass needs a fraction of the memory.
   */
  encode(images: tf.Tensor4D, training: boolean, pass = 'images'): tf.Tensor4D {
    this.checkImages(images);
    return this.backbone.apply(images, this.layerContext(training, pass));
  }

  forward(batch: EpisodeBatch, opts: ForwardOptions): ForwardOutput {
    this.checkBatch(batch);
    const { training } = opts;
    const intermediates = opts.intermediates === true;
    // Supports first, then queries: the order in which the reference updates running statistics.
    const sf = this.encode(batch.support, training, 'support');
    let qf: tf.Tensor4D | null = null;
    try {
      qf = this.encode(batch.query, training, 'query');
      const h = this.head(sf, qf, batch.way, batch.shot, training);
      const out = this.output(h, intermediates);
      if (intermediates) {
        Object.assign(out, { supportFeatures: sf, queryFeatures: qf });
        return out;
      }
      tf.dispose([sf, qf, ...this.unreported(h, intermediates)]);
      return out;
    } catch (e) {
      tf.dispose([sf, ...(qf ? [qf] : [])]);
      throw e;
    }
  }

  loss(output: ForwardOutput, batch: EpisodeBatch): tf.Scalar {
    return this.lossFrom(output, batchLabels(batch), batch.way);
  }

  /** One training step's gradients (see backward/episode-gradients.ts). */
  computeGradients(batch: EpisodeBatch, opts: GradientOptions = {}): GradientResult {
    this.checkBatch(batch);
    const labels = batchLabels(batch);
    const intermediates = opts.intermediates === true;
    return episodeGradients({
      backbone: this.backbone,
      store: this.store,
      batch,
      opts,
      context: (pass) => this.layerContext(true, pass),
      head: (sf, qf, keep) => {
        const h = this.head(sf, qf, batch.way, batch.shot, true, opts.branches);
        const loss = this.lossFrom(h, labels, batch.way);
        return keep ? { loss, output: this.output(h, intermediates) } : { loss };
      },
    });
  }

  trainableVariables(): Map<string, tf.Variable> {
    return new Map(this.store.params);
  }

  getWeights(): WeightMap {
    return this.store.getWeights();
  }

  setWeights(weights: WeightMap, partial = false): void {
    this.store.setWeights(weights, partial);
  }

  /** Feature-map size for the configured image size. */
  featureMapSize(): [number, number] {
    return featureMapSize(this.config);
  }

  dispose(): void {
    this.store.dispose();
  }
}
