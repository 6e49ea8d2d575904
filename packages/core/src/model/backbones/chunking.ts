/**
 * Chunked backbone passes: a pass whose largest activation would not fit one device buffer encodes its
 * images in chunks, block by block, so that no tensor is larger than one chunk's. Batch-statistics
 * BatchNorm couples every image of a pass, so each BatchNorm layer sees all chunks before it normalises one
 * (batchnorm-chunked.ts): the numbers are those of the unchunked pass, up to float32 summation order.
 *
 * The budget: `LayerContext.chunkBytes` (from `GradientOptions.chunkBytes`), else env `RCN_CHUNK_BYTES`,
 * else on webgpu the device's buffer limit (the smaller of maxStorageBufferBindingSize and maxBufferSize);
 * other backends are never chunked unless asked. A single image over the budget is not split further: on
 * webgpu the guard (backend/webgpu-guard.ts) then throws a `WebGpuLimitError` as before.
 */
import * as tf from '@tensorflow/tfjs-core';
import { webGpuBufferLimit } from '../../backend/browser.js';
import type { BackboneTrace, LayerContext } from '../backward/backbone.js';

/** One block of a chunked pass: per-chunk outputs, and the backward pass over per-chunk gradients. */
export interface ChunkStep {
  outs: tf.Tensor4D[];
  backward(dOuts: tf.Tensor4D[], needInputGrad: boolean, grads: Map<string, tf.Tensor>): tf.Tensor4D[] | null;
  dispose(): void;
}

function envBudget(): number | null {
  const raw = typeof process !== 'undefined' ? process.env.RCN_CHUNK_BYTES : undefined;
  if (!raw) return null;
  const v = Number(raw);
  if (!(v > 0)) throw new Error(`RCN_CHUNK_BYTES must be a positive number of bytes (got "${raw}")`);
  return v;
}

/** The largest tensor a pass may hold, in bytes: Infinity when passes are not chunked. */
export function chunkBudget(ctx: LayerContext): number {
  return ctx.chunkBytes ?? envBudget() ?? webGpuBufferLimit() ?? Infinity;
}

/**
 * Images per chunk for a pass of `count` images whose largest per-image tensor is `bytesPerImage`, or null
 * when the whole pass fits (the normal, unchunked path).
 */
export function imagesPerChunk(count: number, bytesPerImage: number, ctx: LayerContext): number | null {
  const budget = chunkBudget(ctx);
  if (count * bytesPerImage <= budget) return null;
  const per = Math.max(1, Math.floor(budget / bytesPerImage));
  if (per >= count) return null;
  if (ctx.branches)
    throw new Error('branch overrides (a parity test) index a whole pass: they cannot run on a chunked pass');
  return per;
}

function chunkSizes(count: number, per: number): number[] {
  const sizes: number[] = [];
  for (let at = 0; at < count; at += per) sizes.push(Math.min(per, count - at));
  return sizes;
}

/** Splits a [B, ...] tensor along its first axis (new tensors the caller owns). */
export function splitChunks<T extends tf.Tensor>(x: T, per: number): T[] {
  return tf.split(x, chunkSizes(x.shape[0], per), 0) as T[];
}

/** Inference through chunked blocks; every intermediate is freed once used. */
export function chunkChainApply(
  images: tf.Tensor4D,
  per: number,
  blocks: ((xs: tf.Tensor4D[]) => ChunkStep)[],
): tf.Tensor4D {
  let xs = splitChunks(images, per);
  for (const block of blocks) {
    let s: ChunkStep;
    try {
      s = block(xs);
    } finally {
      tf.dispose(xs);
    }
    xs = s.outs;
  }
  const out = tf.concat(xs, 0);
  tf.dispose(xs);
  return out;
}

/** A chunked training pass; its features are the chunks' outputs joined (owned by the trace). */
export function chunkChainTrace(
  images: tf.Tensor4D,
  per: number,
  blocks: ((xs: tf.Tensor4D[]) => ChunkStep)[],
): BackboneTrace {
  const inputs = splitChunks(images, per);
  const steps: ChunkStep[] = [];
  let features: tf.Tensor4D;
  try {
    let xs = inputs;
    for (const block of blocks) {
      const s = block(xs);
      steps.push(s);
      xs = s.outs;
    }
    features = tf.concat(xs, 0);
  } catch (e) {
    for (const s of steps) s.dispose();
    tf.dispose(inputs);
    throw e;
  }
  let done = false;
  const release = () => {
    if (done) return;
    done = true;
    for (const s of steps) s.dispose();
    tf.dispose([...inputs, features]);
  };
  return {
    features,
    backward(dFeatures) {
      if (done) throw new Error('backbone trace already released');
      const grads = new Map<string, tf.Tensor>();
      let dys: tf.Tensor4D[] | null = splitChunks(dFeatures, per);
      try {
        for (let i = steps.length - 1; i >= 0; i--) {
          const dxs: tf.Tensor4D[] | null = steps[i].backward(dys as tf.Tensor4D[], i > 0, grads);
          steps[i].dispose();
          tf.dispose(dys as tf.Tensor4D[]);
          dys = dxs;
        }
      } finally {
        if (dys) tf.dispose(dys);
        release();
      }
      return grads;
    },
    dispose: release,
  };
}
