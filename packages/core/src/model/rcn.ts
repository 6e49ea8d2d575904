/**
 * The Region Comparison Network: Xue, Duan, Li, Chen, Luo, "Region Comparison Network for Interpretable
 * Few-shot Image Classification", 2020, arXiv 2009.03558.
 *
 * A backbone maps supports and queries to feature maps (each set encoded separately, normalised with its own
 * batch statistics, as in the authors' code); the maps become R regions; each support region k is scored by
 * its best cosine match among the query's regions (r_k); a region-weight network, fed [support region k ;
 * query region k], weights them (w_k); a support's score is sum_k w_k r_k, a class's the mean over its K
 * shots, and a softmax over classes gives the probabilities, trained with MSE against one-hot labels.
 * Ablations: fixed learned linear region weights, and a single global region.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, LayerContext } from './backbone.js';
import type { BranchOverrides } from './branches.js';
import { episodeGradients } from './episode-gradients.js';
import { regionScores } from './comparison.js';
import {
  featureMapSize,
  regionCount,
  resolveModelConfig,
  type ModelConfig,
  type ModelConfigInput,
} from './config.js';
import { Conv4 } from './conv4.js';
import { ParamStore, type WeightMap } from './params.js';
import { RegionPooler } from './region-grid.js';
import { RegionWeightNet } from './region-weights.js';
import { ResNet12 } from './resnet12.js';
import {
  type EpisodeBatch,
  type FewShotModel,
  type ForwardOptions,
  type ForwardOutput,
  type GradientOptions,
  type GradientResult,
} from './types.js';

/** Head output for given features; see `RCN.head`. */
export interface HeadOutput {
  probs: tf.Tensor2D;
  classScores: tf.Tensor2D;
  regionScores: tf.Tensor3D;
  regionWeights: tf.Tensor3D;
  supportRegions: tf.Tensor3D;
  queryRegions: tf.Tensor3D;
}

export class RCN implements FewShotModel {
  readonly method = 'rcn' as const;
  readonly config: ModelConfig;
  readonly store: ParamStore;
  readonly backbone: Backbone;
  private readonly weightNet: RegionWeightNet | null;
  private readonly linearWeights: tf.Variable | null;
  private readonly poolers = new Map<string, RegionPooler>();

  constructor(config: ModelConfigInput) {
    this.config = resolveModelConfig(config);
    const cfg = this.config;
    this.store = new ParamStore(cfg.seed);
    this.backbone =
      cfg.backbone === 'conv4'
        ? new Conv4(this.store, cfg.widths)
        : new ResNet12(this.store, cfg.widths, cfg.leakySlope, cfg.dropBlock, cfg.seed);
    const c = this.backbone.outChannels;
    if (cfg.regionWeighting === 'network') {
      this.weightNet = new RegionWeightNet(this.store, c, cfg.backbone === 'conv4' ? [64, 1] : [c, 64, 1]);
      this.linearWeights = null;
    } else {
      this.weightNet = null;
      // One weight per region position, starting uniform (the unweighted sum).
      this.linearWeights = this.store.constant('head.region_weights', [regionCount(cfg)], 1);
    }
  }

  /** Number of regions per image at the configured image size. */
  get regions(): number {
    return regionCount(this.config);
  }

  private pooler(h: number, w: number): RegionPooler {
    const key = `${h}x${w}`;
    let p = this.poolers.get(key);
    if (!p) {
      p = new RegionPooler(this.config.regionGrid, h, w);
      this.poolers.set(key, p);
    }
    return p;
  }

  private layerContext(training: boolean, pass: string): LayerContext {
    return {
      training,
      batchStats: training || this.config.bnInference === 'batch',
      bnMomentum: this.config.bnMomentum,
      bnEps: this.config.bnEps,
      pass,
    };
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

  /**
   * Everything after the backbone: regions, comparison, weights, scoring. `sf` [N*K, h, w, C] class-major,
   * `qf` [N*Q, h, w, C]. `branches`: test-only overrides at near-ties (see branches.ts).
   */
  head(
    sf: tf.Tensor4D,
    qf: tf.Tensor4D,
    way: number,
    shot: number,
    training: boolean,
    branches?: BranchOverrides,
  ): HeadOutput {
    const [, h, w] = sf.shape;
    if (qf.shape[1] !== h || qf.shape[2] !== w)
      throw new Error('model: support and query feature maps differ in size');
    const ctx = this.layerContext(training, 'head');
    const pooler = this.pooler(h, w);
    return tf.tidy(() => {
      const sr = pooler.apply(sf);
      const qr = pooler.apply(qf);
      const q = qf.shape[0];
      const scores = regionScores(
        sr,
        qr,
        branches?.regionMax && { sites: branches.regionMax, checks: branches.checks },
      );
      let weights: tf.Tensor3D;
      if (this.weightNet) {
        weights = this.weightNet.apply(sr, qr, {
          batchStats: ctx.batchStats,
          updateStats: training,
          bnMomentum: ctx.bnMomentum,
          bnEps: ctx.bnEps,
          pass: 'head',
          branches,
        });
      } else {
        const lw = this.linearWeights as tf.Variable;
        if (lw.shape[0] !== pooler.regions)
          throw new Error(
            `model: linear region weights expect ${lw.shape[0]} regions, got ${pooler.regions}`,
          );
        weights = tf.mul(tf.onesLike(scores), lw) as tf.Tensor3D;
      }
      const supportScore = tf.sum(tf.mul(weights, scores), -1); // [Q, N*K]
      const classScores = tf.mean(tf.reshape(supportScore, [q, way, shot]), -1) as tf.Tensor2D;
      const probs = tf.softmax(classScores) as tf.Tensor2D;
      return {
        probs,
        classScores,
        regionScores: scores,
        regionWeights: weights,
        supportRegions: sr,
        queryRegions: qr,
      };
    });
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
    if (support.shape[1] !== query.shape[1] || support.shape[2] !== query.shape[2])
      throw new Error('model: support and query images differ in size');
    if (batch.queryLabels && batch.queryLabels.shape[0] !== query.shape[0]) {
      throw new Error(`model: ${batch.queryLabels.shape[0]} labels for ${query.shape[0]} queries`);
    }
  }

  forward(batch: EpisodeBatch, opts: ForwardOptions): ForwardOutput {
    this.checkBatch(batch);
    const { training } = opts;
    // Supports first, then queries: the order in which the reference updates running statistics.
    const sf = this.encode(batch.support, training, 'support');
    const qf = this.encode(batch.query, training, 'query');
    const h = this.head(sf, qf, batch.way, batch.shot, training);
    const out: ForwardOutput = {
      probs: h.probs,
      classScores: h.classScores,
      regionScores: h.regionScores,
      regionWeights: h.regionWeights,
    };
    if (opts.intermediates) {
      Object.assign(out, {
        supportFeatures: sf,
        queryFeatures: qf,
        supportRegions: h.supportRegions,
        queryRegions: h.queryRegions,
      });
    } else {
      for (const t of [sf, qf, h.supportRegions, h.queryRegions]) t.dispose();
    }
    return out;
  }

  loss(output: ForwardOutput, batch: EpisodeBatch): tf.Scalar {
    return mseLoss(output.probs, batchLabels(batch), batch.way);
  }

  /**
   * One training step's gradients: the backbone's forward and backward passes are scheduled by hand (see
   * backbone.ts), the head's by TF.js's autodiff, joined at the features' gradients.
   */
  computeGradients(batch: EpisodeBatch, opts: GradientOptions = {}): GradientResult {
    this.checkBatch(batch);
    this.checkImages(batch.support);
    const labels = batchLabels(batch);
    return episodeGradients({
      backbone: this.backbone,
      store: this.store,
      batch,
      opts,
      context: (pass) => this.layerContext(true, pass),
      head: (sf, qf, keep) => {
        const h = this.head(sf, qf, batch.way, batch.shot, true, opts.branches);
        const loss = mseLoss(h.probs, labels, batch.way);
        if (!keep) return { loss };
        const output: ForwardOutput = {
          probs: h.probs,
          classScores: h.classScores,
          regionScores: h.regionScores,
          regionWeights: h.regionWeights,
        };
        if (opts.intermediates)
          Object.assign(output, { supportRegions: h.supportRegions, queryRegions: h.queryRegions });
        return { loss, output };
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
    for (const p of this.poolers.values()) p.dispose();
    this.poolers.clear();
  }
}

function batchLabels(batch: EpisodeBatch): tf.Tensor1D {
  if (!batch.queryLabels) throw new Error('model: the loss needs batch.queryLabels');
  return batch.queryLabels;
}

/** Mean over all entries of (probs - onehot(labels))^2, as PyTorch's MSELoss. */
export function mseLoss(probs: tf.Tensor2D, labels: tf.Tensor1D, way: number): tf.Scalar {
  return tf.tidy(() => {
    const onehot = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, way);
    return tf.mean(tf.square(tf.sub(probs, onehot))) as tf.Scalar;
  });
}
