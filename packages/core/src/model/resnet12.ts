/**
 * ResNet-12 (MetaOptNet / FEAT variant used by RCN): four residual blocks, each three 3x3 convs (no bias,
 * same padding) with BatchNorm, LeakyReLU(0.1) after the first two; a 1x1 conv + BatchNorm shortcut;
 * LeakyReLU after the sum, then a 2x2 max-pool; optional DropBlock after the last two blocks.
 * Names: `encoder.layer{i}.0.conv{1,2,3}`, `.bn{1,2,3}`, `.downsample.0` (conv), `.downsample.1` (BN).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, LayerContext } from './backbone.js';
import { batchNormAct, createBatchNorm, type Activation, type BatchNormLayer } from './batchnorm.js';
import type { DropBlockConfig } from './config.js';
import { dropBlock } from './dropblock.js';
import type { ParamStore } from './params.js';

interface ResBlock {
  convs: [tf.Variable, tf.Variable, tf.Variable];
  bns: [BatchNormLayer, BatchNormLayer, BatchNormLayer];
  downConv: tf.Variable;
  downBn: BatchNormLayer;
  dropBlock: boolean;
}

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
        convs: [
          store.conv(`${p}.conv1.weight`, 3, 3, inC, outC),
          store.conv(`${p}.conv2.weight`, 3, 3, outC, outC),
          store.conv(`${p}.conv3.weight`, 3, 3, outC, outC),
        ],
        bns: [createBatchNorm(store, `${p}.bn1`, outC), createBatchNorm(store, `${p}.bn2`, outC), createBatchNorm(store, `${p}.bn3`, outC)],
        downConv: store.conv(`${p}.downsample.0.weight`, 1, 1, inC, outC),
        downBn: createBatchNorm(store, `${p}.downsample.1`, outC),
        dropBlock: i >= 2,
      });
      inC = outC;
    });
    this.outChannels = inC;
  }

  apply(images: tf.Tensor4D, ctx: LayerContext): tf.Tensor4D {
    const bnOpts = (activation: Activation) => ({
      batchStats: ctx.batchStats,
      updateStats: ctx.training,
      momentum: ctx.bnMomentum,
      eps: ctx.bnEps,
      activation,
      slope: this.slope,
    });
    let x = images;
    for (const b of this.blocks) {
      const input = x;
      x = tf.tidy(() => {
        let o: tf.Tensor4D = input;
        for (let j = 0; j < 3; j++) {
          const conv = tf.conv2d(o, b.convs[j] as tf.Tensor4D, 1, 'same') as tf.Tensor4D;
          o = batchNormAct(conv, b.bns[j], bnOpts(j < 2 ? 'leaky' : 'none'));
        }
        const shortcut = batchNormAct(tf.conv2d(input, b.downConv as tf.Tensor4D, 1, 'same') as tf.Tensor4D, b.downBn, bnOpts('none'));
        let out = tf.maxPool(tf.leakyRelu(tf.add(o, shortcut), this.slope) as tf.Tensor4D, 2, 2, 'valid') as tf.Tensor4D;
        if (ctx.training && b.dropBlock && this.drop && this.drop.rate > 0) {
          out = dropBlock(out, this.drop.rate, this.drop.blockSize, this.seed + 7919 * ++this.dropCalls);
        }
        return out;
      });
      if (input !== images) input.dispose();
    }
    return x;
  }
}
