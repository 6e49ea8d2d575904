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
import type { BranchOverrides } from '../backward/branches.js';
import { regionCount, type ModelConfigInput } from '../config.js';
import type { ForwardOutput } from '../types.js';
import { regionScores } from './comparison.js';
import { FewShotClassifier, type ClassifierHeadOutput } from './few-shot-classifier.js';
import { RegionPooler } from './region-grid.js';
import { RegionWeightNet } from './region-weights.js';

/** Head output for given features; see `RCN.head`. */
export interface HeadOutput extends ClassifierHeadOutput {
  regionScores: tf.Tensor3D;
  regionWeights: tf.Tensor3D;
  supportRegions: tf.Tensor3D;
  queryRegions: tf.Tensor3D;
}

export class RCN extends FewShotClassifier<HeadOutput> {
  readonly method = 'rcn' as const;
  private readonly weightNet: RegionWeightNet | null;
  private readonly linearWeights: tf.Variable | null;
  private readonly poolers = new Map<string, RegionPooler>();

  constructor(config: ModelConfigInput) {
    super(config);
    const cfg = this.config;
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

  /**
   * Everything after the backbone: regions, comparison, weights, scoring. `sf` [N*K, h, w, C] class-major,
   * `qf` [N*Q, h, w, C]. `branches`: test-only overrides at near-ties (see backward/branches.ts).
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
        weights = this.weightNet.apply(sr, qr, { ...this.headContext(training), branches });
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

  protected override output(h: HeadOutput, intermediates: boolean): ForwardOutput {
    const out: ForwardOutput = {
      probs: h.probs,
      classScores: h.classScores,
      regionScores: h.regionScores,
      regionWeights: h.regionWeights,
    };
    if (intermediates) Object.assign(out, { supportRegions: h.supportRegions, queryRegions: h.queryRegions });
    return out;
  }

  protected override unreported(h: HeadOutput, intermediates: boolean): tf.Tensor[] {
    return intermediates ? [] : [h.supportRegions, h.queryRegions];
  }

  protected lossFrom(out: ClassifierHeadOutput, labels: tf.Tensor1D, way: number): tf.Scalar {
    return mseLoss(out.probs, labels, way);
  }

  override dispose(): void {
    super.dispose();
    for (const p of this.poolers.values()) p.dispose();
    this.poolers.clear();
  }
}

/** Mean over all entries of (probs - onehot(labels))^2, as PyTorch's MSELoss. */
export function mseLoss(probs: tf.Tensor2D, labels: tf.Tensor1D, way: number): tf.Scalar {
  return tf.tidy(() => {
    const onehot = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, way);
    return tf.mean(tf.square(tf.sub(probs, onehot))) as tf.Scalar;
  });
}
