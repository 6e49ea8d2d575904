/** The interface every few-shot model implements (RCN and the baselines beside it). */
import type * as tf from '@tensorflow/tfjs-core';
import type { BranchOverrides } from './backward/branches.js';
import type { ModelConfig } from './config.js';
import type { WeightMap } from './params.js';

/** One episode as tensors, NHWC, normalised. */
export interface EpisodeBatch {
  /** [N*K, H, W, 3], class-major: class 0's K shots, then class 1's, ... */
  support: tf.Tensor4D;
  /** [N*Q, H, W, 3]. */
  query: tf.Tensor4D;
  /** N, the number of classes. */
  way: number;
  /** K, shots per class. */
  shot: number;
  /** int32 [N*Q], the query classes in 0..N-1; needed for the loss. */
  queryLabels?: tf.Tensor1D;
}

export interface ForwardOptions {
  /** Training mode: batch statistics, running statistics updated, DropBlock active. */
  training: boolean;
  /** Also return the backbone features and regions (for tests and explanations). */
  intermediates?: boolean;
}

/** What a forward pass returns; the caller owns (and disposes) every tensor, see `disposeOutput`. */
export interface ForwardOutput {
  /** [N*Q, N], softmax over classes. */
  probs: tf.Tensor2D;
  /** [N*Q, N], the class scores before the softmax. */
  classScores: tf.Tensor2D;
  /** [N*Q, N*K, R]: max cosine similarity of support region k to any query region. */
  regionScores?: tf.Tensor3D;
  /** [N*Q, N*K, R]: the weight of each support region in that query's comparison. */
  regionWeights?: tf.Tensor3D;
  /** With `intermediates`: backbone outputs [B, h, w, C] and regions [B, R, C]. */
  supportFeatures?: tf.Tensor4D;
  queryFeatures?: tf.Tensor4D;
  supportRegions?: tf.Tensor3D;
  queryRegions?: tf.Tensor3D;
}

/** Where a training step's time went (filled by `computeGradients` when given; wall-clock ms). */
export interface StepTimings {
  /** Backbone forward passes (support and query). */
  backboneForwardMs: number;
  /** Backbone backward passes. */
  backboneBackwardMs: number;
  /** The head (regions, comparison, region weights, scoring, loss): forward and backward. */
  headMs: number;
}

export interface GradientOptions {
  /** Filled with the step's timings. On asynchronous backends they count dispatch, not execution. */
  timings?: StepTimings;
  /** Keep the forward output (else only the loss and gradients are returned). */
  keepOutput?: boolean;
  /** Keep features and regions too (implies keepOutput). */
  intermediates?: boolean;
  /**
   * Test-only: take the given branch at listed near-ties of activations, max-pools and region maxima (see
   * branches.ts), to compare against a reference that took it. Absent in normal use. Await
   * `branches.checks.verify()` after the step: it checks that each site was a near-tie for us too.
   */
  branches?: BranchOverrides;
  /**
   * Largest tensor a backbone pass may hold, in bytes, before its images are encoded in chunks (exact:
   * BatchNorm still uses the whole pass's statistics). Default: env `RCN_CHUNK_BYTES`, else on webgpu the
   * device's buffer limit, else unchunked. See model/backbones/chunking.ts.
   */
  chunkBytes?: number;
}

export interface GradientResult {
  loss: tf.Scalar;
  /** d loss / d parameter, by canonical parameter name, in TF.js layout; every trainable parameter present. */
  grads: Map<string, tf.Tensor>;
  output?: ForwardOutput;
}

/** Few-shot methods trainable in the same harness (and recorded in every checkpoint's metadata). */
export type Method = 'rcn' | 'protonet' | 'relationnet';

export const METHOD_NAMES: readonly Method[] = ['rcn', 'protonet', 'relationnet'];

export interface FewShotModel {
  /** Which method this model implements: what a checkpoint records to rebuild it. */
  readonly method: Method;
  readonly config: ModelConfig;
  forward(batch: EpisodeBatch, opts: ForwardOptions): ForwardOutput;
  /** Mean squared error between `probs` and the one-hot query labels. */
  loss(output: ForwardOutput, batch: EpisodeBatch): tf.Scalar;
  /** One training-mode forward + backward. Updates BatchNorm running statistics, like a training step. */
  computeGradients(batch: EpisodeBatch, opts?: GradientOptions): GradientResult;
  /** Trainable parameters by canonical name (PyTorch module path), for optimisers. */
  trainableVariables(): Map<string, tf.Variable>;
  /** Every parameter and buffer by canonical name, copied out, TF.js layout. */
  getWeights(): WeightMap;
  /** Assigns parameters and buffers by canonical name; all must be given unless `partial`. */
  setWeights(weights: WeightMap, partial?: boolean): void;
  dispose(): void;
}

/** Disposes every tensor of a forward output. */
export function disposeOutput(out: ForwardOutput): void {
  for (const t of Object.values(out) as (tf.Tensor | undefined)[]) t?.dispose();
}
