/**
 * The harness the baselines (Prototypical Networks, Relation Network) share with RCN, so that comparisons are
 * like for like: the same backbones (`Conv4`, `ResNet12`), the same `ParamStore` and canonical names
 * (`encoder.*` for the backbone, `head.*` for the method's own parameters, so per-module clipping treats
 * them as RCN's), each image set encoded separately with its own batch statistics (supports first, then
 * queries), and the same training step: the backbone's forward and backward passes scheduled by hand (see
 * backbone.ts), the head differentiated by TF.js's autodiff, the two joined at the features' gradients.
 *
 * Of `ModelConfig`, the baselines use the backbone fields and the BatchNorm settings; the region fields are
 * RCN's and ignored.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, LayerContext } from './backbone.js';
import { episodeGradients } from './episode-gradients.js';
import { featureMapSize, resolveModelConfig, type ModelConfig, type ModelConfigInput } from './config.js';
import { Conv4 } from './conv4.js';
import type { HeadContext } from './region-weights.js';
import { ParamStore, type WeightMap } from './params.js';
import { ResNet12 } from './resnet12.js';
import {
  type EpisodeBatch,
  type FewShotModel,
  type Method,
  type ForwardOptions,
  type ForwardOutput,
  type GradientOptions,
  type GradientResult,
} from './types.js';

/** What a baseline's head computes from the features: [N*Q, N] each. */
export interface BaselineHeadOutput {
  probs: tf.Tensor2D;
  classScores: tf.Tensor2D;
}

/** The backbone of `cfg`, its parameters created in `store` under `encoder.*` (as RCN builds it). */
export function createBackbone(store: ParamStore, cfg: ModelConfig): Backbone {
  return cfg.backbone === 'conv4'
    ? new Conv4(store, cfg.widths)
    : new ResNet12(store, cfg.widths, cfg.leakySlope, cfg.dropBlock, cfg.seed);
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

export abstract class BaselineModel implements FewShotModel {
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
   */
  abstract head(
    sf: tf.Tensor4D,
    qf: tf.Tensor4D,
    way: number,
    shot: number,
    training: boolean,
  ): BaselineHeadOutput;

  /** The method's training loss from a head output (the paper's). */
  protected abstract lossFrom(out: BaselineHeadOutput, labels: tf.Tensor1D, way: number): tf.Scalar;

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
    for (const images of [support, query]) {
      if (images.shape[3] !== 3)
        throw new Error(`model: images must be NHWC with 3 channels, got [${images.shape.join(', ')}]`);
    }
    if (support.shape[1] !== query.shape[1] || support.shape[2] !== query.shape[2])
      throw new Error('model: support and query images differ in size');
    if (batch.queryLabels && batch.queryLabels.shape[0] !== query.shape[0]) {
      throw new Error(`model: ${batch.queryLabels.shape[0]} labels for ${query.shape[0]} queries`);
    }
  }

  /** Backbone features [B, h, w, C] of one image set, normalised with its own batch statistics. */
  encode(images: tf.Tensor4D, training: boolean, pass = 'images'): tf.Tensor4D {
    return this.backbone.apply(images, this.layerContext(training, pass));
  }

  forward(batch: EpisodeBatch, opts: ForwardOptions): ForwardOutput {
    this.checkBatch(batch);
    const { training } = opts;
    // Supports first, then queries: the order in which running statistics are updated, as for RCN.
    const sf = this.encode(batch.support, training, 'support');
    let qf: tf.Tensor4D | null = null;
    try {
      qf = this.encode(batch.query, training, 'query');
      const h = this.head(sf, qf, batch.way, batch.shot, training);
      const out: ForwardOutput = { probs: h.probs, classScores: h.classScores };
      if (opts.intermediates) {
        Object.assign(out, { supportFeatures: sf, queryFeatures: qf });
        return out;
      }
      tf.dispose([sf, qf]);
      return out;
    } catch (e) {
      tf.dispose([sf, ...(qf ? [qf] : [])]);
      throw e;
    }
  }

  loss(output: ForwardOutput, batch: EpisodeBatch): tf.Scalar {
    return this.lossFrom(output, batchLabels(batch), batch.way);
  }

  /** One training step's gradients, scheduled exactly as RCN's (see episode-gradients.ts). */
  computeGradients(batch: EpisodeBatch, opts: GradientOptions = {}): GradientResult {
    this.checkBatch(batch);
    const labels = batchLabels(batch);
    return episodeGradients({
      backbone: this.backbone,
      store: this.store,
      batch,
      opts,
      context: (pass) => this.layerContext(true, pass),
      head: (sf, qf, keep) => {
        const h = this.head(sf, qf, batch.way, batch.shot, true);
        const loss = this.lossFrom(h, labels, batch.way);
        return keep ? { loss, output: { probs: h.probs, classScores: h.classScores } } : { loss };
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
