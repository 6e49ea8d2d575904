/**
 * What every backbone provides: NHWC images in, NHWC feature map out; and a training trace whose backward
 * pass is scheduled by hand.
 *
 * Why by hand: TF.js's autodiff keeps every intermediate gradient and every saved tensor until the whole
 * backward pass ends, so a ResNet-12 step on 80 images at 84x84 needs several times the 4 GiB wasm heap.
 * The backbones here keep only what each layer's backward needs (xhat, activation outputs, pooled maps) and
 * free it, and every gradient, as soon as the layer below has consumed it. Forward code is shared with
 * inference; the head (small) still uses TF.js's autodiff.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  batchNormForward,
  batchNormPoolForward,
  runningBatchNorm,
  type BatchNormCache,
  type BatchNormInput,
  type BatchNormOptions,
} from './batchnorm.js';
import { branchKey, type BranchOverrides } from './branches.js';
import type { MaxPoolOverride } from './grad-kernels.js';

export interface LayerContext {
  /** Training: DropBlock active, running statistics updated. */
  training: boolean;
  /** Normalise with batch statistics (always when training). */
  batchStats: boolean;
  bnMomentum: number;
  bnEps: number;
  /** Names the image set (`support`, `query`) for diagnostics and `branches`. */
  pass?: string;
  /** Test-only branch overrides at near-ties (see branches.ts); absent in normal use. */
  branches?: BranchOverrides;
  /** Largest tensor a pass may hold, in bytes, before it is chunked (see chunking.ts); default: the device's. */
  chunkBytes?: number;
}

/** A backbone forward pass in training mode, holding what its backward pass needs. */
export interface BackboneTrace {
  /** [B, h, w, C]; owned by the trace (clone it to keep it past `backward` / `dispose`). */
  readonly features: tf.Tensor4D;
  /**
   * Parameter gradients for upstream d loss / d features (not disposed here), by canonical name. Releases
   * everything the trace holds; call once.
   */
  backward(dFeatures: tf.Tensor4D): Map<string, tf.Tensor>;
  /** Releases the trace without a backward pass. */
  dispose(): void;
}

export interface Backbone {
  readonly outChannels: number;
  /** [B, H, W, 3] -> [B, h, w, C]. Each call normalises with its own batch statistics, as the reference does. */
  apply(images: tf.Tensor4D, ctx: LayerContext): tf.Tensor4D;
  /** Training-mode forward pass (batch statistics, running statistics updated) that can be differentiated. */
  trace(images: tf.Tensor4D, ctx: LayerContext): BackboneTrace;
}

/** BatchNorm options of a backbone layer. */
export function bnOptions(
  ctx: LayerContext,
  activation: BatchNormOptions['activation'],
  slope: number,
): BatchNormOptions {
  return {
    batchStats: ctx.batchStats,
    updateStats: ctx.training,
    momentum: ctx.bnMomentum,
    eps: ctx.bnEps,
    activation,
    slope,
    pass: ctx.pass,
    branches: ctx.branches,
  };
}

/** The max-pool sites of a pool module in this pass, if any. */
export function poolSites(ctx: LayerContext, module: string): MaxPoolOverride | undefined {
  const { branches } = ctx;
  if (!branches) return undefined;
  const call = branchKey(ctx.pass ?? '', module);
  const sites = branches.maxPools?.get(call);
  return sites && { sites, call, checks: branches.checks };
}

/** act(sum BN(x_i)); with `keep` (batch statistics only) also the cache for the backward pass. */
export function bnLayer(
  inputs: BatchNormInput[],
  opts: BatchNormOptions,
  keep: boolean,
): { out: tf.Tensor4D; cache: BatchNormCache | null } {
  if (opts.batchStats) {
    const r = batchNormForward(inputs, opts, keep);
    return { out: r.out as tf.Tensor4D, cache: r.cache };
  }
  if (keep) throw new Error('a training trace needs batch statistics');
  return { out: runningBatchNorm(inputs, opts) as tf.Tensor4D, cache: null };
}

/**
 * maxPool(bnLayer(inputs), 2, 2, 'valid'): with batch statistics as one layer (`batchNormPoolForward`,
 * fused where the backend has the kernel, the pre-pool activation never kept), else the layer then the
 * pool.
 */
export function bnPoolLayer(
  inputs: BatchNormInput[],
  opts: BatchNormOptions,
  keep: boolean,
): { out: tf.Tensor4D; cache: BatchNormCache | null } {
  if (opts.batchStats) return batchNormPoolForward(inputs, opts, keep);
  const r = bnLayer(inputs, opts, keep);
  const out = tf.maxPool(r.out, 2, 2, 'valid');
  r.out.dispose();
  return { out, cache: r.cache };
}

/** Adds `g` into `grads[name]` (summing the support and query passes' contributions), disposing the parts. */
export function accumulate(grads: Map<string, tf.Tensor>, name: string, g: tf.Tensor): void {
  const prev = grads.get(name);
  if (!prev) {
    grads.set(name, g);
    return;
  }
  grads.set(name, tf.add(prev, g));
  tf.dispose([prev, g]);
}

/**
 * A trace over a chain of blocks: each block's forward returns its output and a closure computing, from the
 * output's gradient, its input's gradient (null for the first block, whose input is the images) and its
 * parameters' gradients, and releasing its saved tensors.
 */
export interface BlockStep {
  out: tf.Tensor4D;
  backward(dOut: tf.Tensor4D, needInputGrad: boolean, grads: Map<string, tf.Tensor>): tf.Tensor4D | null;
  dispose(): void;
}

/** Inference through a chain of blocks (built without saved tensors): each intermediate is freed once used. */
export function chainApply(images: tf.Tensor4D, blocks: ((x: tf.Tensor4D) => BlockStep)[]): tf.Tensor4D {
  let x = images;
  for (const block of blocks) {
    const s = block(x);
    if (x !== images) x.dispose();
    x = s.out;
  }
  return x;
}

/**
 * Sees each block of a traced pass begin and end, forward and backward (block = 0-based index, i.e.
 * `encoder.layer{block + 1}`): the per-layer attribution of `pnpm bench profile`. Called before the block
 * runs; the function it returns is called after. Null (the default) in normal use.
 */
export type BlockObserver = (phase: 'forward' | 'backward', block: number) => () => void;

let blockObserver: BlockObserver | null = null;

/** Installs (or, with null, removes) the block observer; see `BlockObserver`. */
export function setBlockObserver(o: BlockObserver | null): void {
  blockObserver = o;
}

function observed<T>(phase: 'forward' | 'backward', block: number, run: () => T): T {
  if (!blockObserver) return run();
  const end = blockObserver(phase, block);
  try {
    return run();
  } finally {
    end();
  }
}

export function chainTrace(images: tf.Tensor4D, blocks: ((x: tf.Tensor4D) => BlockStep)[]): BackboneTrace {
  const steps: BlockStep[] = [];
  try {
    let x = images;
    for (const [i, block] of blocks.entries()) {
      const s = observed('forward', i, () => block(x));
      steps.push(s);
      x = s.out;
    }
  } catch (e) {
    for (const s of steps) s.dispose();
    throw e;
  }
  let done = false;
  const release = () => {
    if (done) return;
    done = true;
    for (const s of steps) s.dispose();
  };
  return {
    features: steps[steps.length - 1].out,
    backward(dFeatures) {
      if (done) throw new Error('backbone trace already released');
      const grads = new Map<string, tf.Tensor>();
      let dy: tf.Tensor4D | null = dFeatures;
      try {
        for (let i = steps.length - 1; i >= 0; i--) {
          const dx: tf.Tensor4D | null = observed('backward', i, () =>
            steps[i].backward(dy as tf.Tensor4D, i > 0, grads),
          );
          steps[i].dispose();
          if (dy !== dFeatures) dy?.dispose();
          dy = dx;
        }
      } finally {
        if (dy && dy !== dFeatures) dy.dispose();
        release();
      }
      return grads;
    },
    dispose: release,
  };
}
