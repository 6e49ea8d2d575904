/**
 * ResNet-12 (MetaOptNet / FEAT variant used by RCN): four residual blocks, each three 3x3 convs (no bias,
 * same padding) with BatchNorm, LeakyReLU(0.1) after the first two; a 1x1 conv + BatchNorm shortcut;
 * LeakyReLU after the sum, then a 2x2 max-pool; optional DropBlock after the last two blocks.
 * Names: `encoder.layer{i}.0.conv{1,2,3}`, `.bn{1,2,3}`, `.downsample.0` (conv), `.downsample.1` (BN).
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
  batchNormOutput,
  batchNormPoolBackward,
  createBatchNorm,
  disposeCache,
  type BatchNormCache,
} from '../backward/batchnorm.js';
import type { DropBlockConfig } from '../config.js';
import { dropBlockMask } from './dropblock.js';
import { chunkChainApply, chunkChainTrace, imagesPerChunk } from './chunking.js';
import { conv2dGradFilter, conv2dGradInput } from '../backward/grad-kernels.js';
import type { ParamStore } from '../params.js';
import type { ResBlock } from './resnet12-block.js';
import { resnet12BytesPerImage, resnet12ChunkStep, type ResChunkContext } from './resnet12-chunked.js';

type Shape4 = [number, number, number, number];

export class ResNet12 implements Backbone {
  readonly outChannels: number;
  private readonly blocks: ResBlock[] = [];
  private dropCalls = 0;

  constructor(
    store: ParamStore,
    widths: readonly number[],
    private readonly slope: number,
    private readonly drop: DropBlockConfig | null,
    private readonly seed: number,
  ) {
    let inC = 3;
    widths.forEach((outC, i) => {
      const p = `encoder.layer${i + 1}.0`;
      this.blocks.push({
        prefix: p,
        convs: [
          store.conv(`${p}.conv1.weight`, 3, 3, inC, outC),
          store.conv(`${p}.conv2.weight`, 3, 3, outC, outC),
          store.conv(`${p}.conv3.weight`, 3, 3, outC, outC),
        ],
        bns: [
          createBatchNorm(store, `${p}.bn1`, outC),
          createBatchNorm(store, `${p}.bn2`, outC),
          createBatchNorm(store, `${p}.bn3`, outC),
        ],
        downConv: store.conv(`${p}.downsample.0.weight`, 1, 1, inC, outC),
        downBn: createBatchNorm(store, `${p}.downsample.1`, outC),
        dropBlock: i >= 2,
      });
      inC = outC;
    });
    this.outChannels = inC;
  }

  private step(b: ResBlock, x: tf.Tensor4D, ctx: LayerContext, keep: boolean): BlockStep {
    const opts = bnOptions(ctx, 'leaky', this.slope);
    const w = b.convs.map((v) => v as tf.Tensor4D);
    const caches: BatchNormCache[] = [];
    // Only the normalised inputs (xhat) and the pooled output are kept; the activations z1, z2, z are
    // recomputed from them in the backward pass (elementwise, bit-identical), which cuts a step's memory.
    const layer = (input: tf.Tensor4D, j: number): tf.Tensor4D => {
      const conv = tf.conv2d(input, w[j], 1, 'same');
      const { out, cache } = bnLayer([{ x: conv, bn: b.bns[j] }], opts, keep);
      conv.dispose();
      if (cache) caches.push(cache);
      return out;
    };
    const z1 = layer(x, 0);
    const z2 = layer(z1, 1);
    z1.dispose();
    // maxPool(LeakyReLU(BN3(conv3) + BN(shortcut conv))) as one layer (fused where the backend has the
    // kernel): neither branch, nor their sum, nor the pre-pool activation is kept.
    const c3 = tf.conv2d(z2, w[2], 1, 'same');
    z2.dispose();
    const cd = tf.conv2d(x, b.downConv as tf.Tensor4D, 1, 'same');
    const tail = bnPoolLayer(
      [
        { x: c3, bn: b.bns[2] },
        { x: cd, bn: b.downBn },
      ],
      opts,
      keep,
    );
    tf.dispose([c3, cd]);
    const pooled = tail.out;
    const mask =
      ctx.training && b.dropBlock && this.drop && this.drop.rate > 0
        ? dropBlockMask(
            pooled.shape,
            this.drop.rate,
            this.drop.blockSize,
            this.seed + 7919 * ++this.dropCalls,
          )
        : null;
    const out = mask ? (tf.mul(pooled, mask) as tf.Tensor4D) : pooled;
    if (mask && !keep) tf.dispose([pooled, mask]);
    const cache3 = tail.cache;
    return {
      out,
      dispose: () => {
        for (const c of caches) disposeCache(c);
        if (cache3) disposeCache(cache3);
        tf.dispose([out, ...(mask && keep ? [pooled, mask] : [])]);
      },
      backward: (dOut, needInputGrad, grads) => {
        if (!cache3 || caches.length !== 2) throw new Error('ResNet12: no trace kept');
        const recompute = (c: BatchNormCache) => batchNormOutput(c, opts) as tf.Tensor4D;
        const dPooled = mask ? (tf.mul(dOut, mask) as tf.Tensor4D) : dOut;
        const sites = poolSites(ctx, `${b.prefix}.maxpool`);
        const g3 = batchNormPoolBackward(dPooled, cache3, opts, pooled, sites);
        if (dPooled !== dOut) dPooled.dispose();
        const [dc3, dcd] = g3.dx as tf.Tensor4D[];
        accumulate(grads, `${b.prefix}.bn3.weight`, g3.dGamma[0]);
        accumulate(grads, `${b.prefix}.bn3.bias`, g3.dBeta[0]);
        accumulate(grads, `${b.prefix}.downsample.1.weight`, g3.dGamma[1]);
        accumulate(grads, `${b.prefix}.downsample.1.bias`, g3.dBeta[1]);
        const dShape = b.downConv.shape as Shape4;
        accumulate(grads, `${b.prefix}.downsample.0.weight`, conv2dGradFilter(x, dcd, dShape, 'same'));
        let dx: tf.Tensor4D | null = needInputGrad
          ? conv2dGradInput(dcd, b.downConv as tf.Tensor4D, x.shape, 'same')
          : null;
        dcd.dispose();
        // conv3 -> bn2 -> conv2 -> bn1 -> conv1, whose inputs are z2, z1 and x.
        let dc = dc3;
        for (let j = 2; j >= 0; j--) {
          const input = j > 0 ? recompute(caches[j - 1]) : x;
          accumulate(
            grads,
            `${b.prefix}.conv${j + 1}.weight`,
            conv2dGradFilter(input, dc, w[j].shape, 'same'),
          );
          if (j === 0) {
            if (dx) {
              const d = conv2dGradInput(dc, w[0], x.shape, 'same');
              const sum = tf.add(dx, d) as tf.Tensor4D;
              tf.dispose([dx, d]);
              dx = sum;
            }
            dc.dispose();
            break;
          }
          const dz = conv2dGradInput(dc, w[j], input.shape, 'same');
          dc.dispose();
          const g = batchNormBackward(dz, caches[j - 1], opts, input);
          tf.dispose([dz, input]);
          accumulate(grads, `${b.prefix}.bn${j}.weight`, g.dGamma[0]);
          accumulate(grads, `${b.prefix}.bn${j}.bias`, g.dBeta[0]);
          dc = g.dx[0] as tf.Tensor4D;
        }
        return dx;
      },
    };
  }

  /** Images per chunk when this pass must be split (see chunking.ts), else null. */
  private chunking(images: tf.Tensor4D, ctx: LayerContext): number | null {
    const [n, h, w] = images.shape;
    return imagesPerChunk(n, resnet12BytesPerImage(this.blocks, h, w), ctx);
  }

  private chunkSteps(ctx: LayerContext, keep: boolean) {
    const rc: ResChunkContext = {
      slope: this.slope,
      drop: this.drop,
      nextDropSeed: () => this.seed + 7919 * ++this.dropCalls,
    };
    return this.blocks.map((b) => (xs: tf.Tensor4D[]) => resnet12ChunkStep(b, xs, ctx, keep, rc));
  }

  apply(images: tf.Tensor4D, ctx: LayerContext): tf.Tensor4D {
    const per = this.chunking(images, ctx);
    if (per) return chunkChainApply(images, per, this.chunkSteps(ctx, false));
    return chainApply(
      images,
      this.blocks.map((b) => (x: tf.Tensor4D) => this.step(b, x, ctx, false)),
    );
  }

  trace(images: tf.Tensor4D, ctx: LayerContext): BackboneTrace {
    const per = this.chunking(images, ctx);
    if (per) return chunkChainTrace(images, per, this.chunkSteps(ctx, true));
    return chainTrace(
      images,
      this.blocks.map((b) => (x: tf.Tensor4D) => this.step(b, x, ctx, true)),
    );
  }
}
