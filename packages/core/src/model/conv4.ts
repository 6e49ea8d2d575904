/**
 * Conv4-64 (the Relation Network / RCN Conv4): four blocks of 3x3 conv (with bias) -> BatchNorm -> ReLU,
 * 2x2 max-pool after the first two; valid padding in the first two convs, same in the last two.
 * Parameter names follow the reference `nn.Sequential`s: `encoder.layer{i}.0` conv, `encoder.layer{i}.1` BN.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Backbone, LayerContext } from './backbone.js';
import { batchNormAct, createBatchNorm, type BatchNormLayer } from './batchnorm.js';
import type { ParamStore } from './params.js';

interface Conv4Block {
  weight: tf.Variable;
  bias: tf.Variable;
  bn: BatchNormLayer;
  pad: 'valid' | 'same';
  pool: boolean;
}

export class Conv4 implements Backbone {
  readonly outChannels: number;
  private readonly blocks: Conv4Block[] = [];

  constructor(store: ParamStore, widths: readonly number[]) {
    let inC = 3;
    widths.forEach((outC, i) => {
      const p = `encoder.layer${i + 1}`;
      this.blocks.push({
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

  apply(images: tf.Tensor4D, ctx: LayerContext): tf.Tensor4D {
    let x = images;
    for (const b of this.blocks) {
      const input = x;
      x = tf.tidy(() => {
        // The conv bias is not added here: see BatchNormOptions.preBias.
        const conv = tf.conv2d(input, b.weight as tf.Tensor4D, 1, b.pad);
        const y = batchNormAct(conv, b.bn, {
          batchStats: ctx.batchStats,
          updateStats: ctx.training,
          momentum: ctx.bnMomentum,
          eps: ctx.bnEps,
          activation: 'relu',
          slope: 0,
          preBias: b.bias as tf.Tensor1D,
        });
        return b.pool ? tf.maxPool(y, 2, 2, 'valid') : y;
      });
      if (input !== images) input.dispose();
    }
    return x;
  }
}
