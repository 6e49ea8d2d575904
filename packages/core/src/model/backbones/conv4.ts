/**
 * Conv4-64 (the Relation Network / RCN Conv4): four blocks of 3x3 conv (with bias) -> BatchNorm -> ReLU,
 * 2x2 max-pool after the first two; valid padding in the first two convs, same in the last two.
 * Parameter names follow the reference `nn.Sequential`s: `encoder.layer{i}.0` conv, `encoder.layer{i}.1` BN.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  accumulate,
  bnLayer,
  bnOptions,
  bnPoolLayer,
  chainApply,
  chainTrace,
  poolSites,
  type Backbone,
  type BackboneTrace,
  type BlockStep,
  type LayerContext,
} from '../backward/backbone.js';
import {
  batchNormBackward,
  batchNormPoolBackward,
  createBatchNorm,
  disposeCache,
} from '../backward/batchnorm.js';
import { chunkChainApply, chunkChainTrace, imagesPerChunk } from './chunking.js';
import type { Conv4Block } from './conv4-block.js';
import { conv4BytesPerImage, conv4ChunkStep } from './conv4-chunked.js';
import { conv2dGradFilter, conv2dGradInput } from '../backward/grad-kernels.js';
import type { ParamStore } from '../params.js';

export class Conv4 implements Backbone {
  readonly outChannels: number;
  private readonly blocks: Conv4Block[] = [];

  constructor(store: ParamStore, widths: readonly number[]) {
    let inC = 3;
    widths.forEach((outC, i) => {
      const p = `encoder.layer${i + 1}`;
      this.blocks.push({
        prefix: p,
        weight: store.conv(`${p}.0.weight`, 3, 3, inC, outC),
        bias: store.constant(`${p}.0.bias`, [outC], 0),
        bn: createBatchNorm(store, `${p}.1`, outC),
        pad: i < 2 ? 'valid' : 'same',
        pool: i < 2,
      });
      inC = outC;
    });
    this.outChannels = inC;
  }

  private step(b: Conv4Block, x: tf.Tensor4D, ctx: LayerContext, keep: boolean): BlockStep {
    const opts = { ...bnOptions(ctx, 'relu', 0), preBias: b.bias as tf.Tensor1D };
    // The pool is module 3 of the reference block (conv, BN, ReLU, pool).
    const sites = b.pool ? poolSites(ctx, `${b.prefix}.3`) : undefined;
    // The conv bias is not added: see BatchNormOptions.preBias.
    const conv = tf.conv2d(x, b.weight as tf.Tensor4D, 1, b.pad);
    const input = { x: conv, bn: b.bn, preBias: opts.preBias };
    // With a pool, BN, ReLU and pool as one (see bnPoolLayer): the backward pass recomputes the pre-pool
    // activation from the cache.
    const { out, cache } = b.pool ? bnPoolLayer([input], opts, keep) : bnLayer([input], opts, keep);
    conv.dispose();
    return {
      out,
      dispose: () => {
        if (cache) disposeCache(cache);
        out.dispose();
      },
      backward: (dOut, needInputGrad, grads) => {
        if (!cache) throw new Error('Conv4: no trace kept');
        const g = b.pool
          ? batchNormPoolBackward(dOut, cache, opts, out, sites)
          : batchNormBackward(dOut, cache, opts, out);
        const dc = g.dx[0] as tf.Tensor4D;
        accumulate(grads, `${b.bn.name}.weight`, g.dGamma[0]);
        accumulate(grads, `${b.bn.name}.bias`, g.dBeta[0]);
        const filterShape = b.weight.shape as [number, number, number, number];
        accumulate(grads, `${b.prefix}.0.weight`, conv2dGradFilter(x, dc, filterShape, b.pad));
        const dx = needInputGrad ? conv2dGradInput(dc, b.weight as tf.Tensor4D, x.shape, b.pad) : null;
        dc.dispose();
        return dx;
      },
    };
  }

  /** Images per chunk when this pass must be split (see chunking.ts), else null. */
  private chunking(images: tf.Tensor4D, ctx: LayerContext): number | null {
    const [n, h, w] = images.shape;
    return imagesPerChunk(n, conv4BytesPerImage(this.blocks, h, w), ctx);
  }

  apply(images: tf.Tensor4D, ctx: LayerContext): tf.Tensor4D {
    const per = this.chunking(images, ctx);
    if (per)
      return chunkChainApply(
        images,
        per,
        this.blocks.map((b) => (xs: tf.Tensor4D[]) => conv4ChunkStep(b, xs, ctx, false)),
      );
    return chainApply(
      images,
      this.blocks.map((b) => (x: tf.Tensor4D) => this.step(b, x, ctx, false)),
    );
  }

  trace(images: tf.Tensor4D, ctx: LayerContext): BackboneTrace {
    const per = this.chunking(images, ctx);
    if (per)
      return chunkChainTrace(
        images,
        per,
        this.blocks.map((b) => (xs: tf.Tensor4D[]) => conv4ChunkStep(b, xs, ctx, true)),
      );
    return chainTrace(
      images,
      this.blocks.map((b) => (x: tf.Tensor4D) => this.step(b, x, ctx, true)),
    );
  }
}
