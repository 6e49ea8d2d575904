/**
 * One Conv4 block's parameters and shape: what `Conv4` (conv4.ts) builds and both its passes, whole and
 * chunked (conv4-chunked.ts), run.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Pad } from '../backward/grad-kernels.js';
import type { BatchNormLayer } from '../backward/batchnorm.js';

export interface Conv4Block {
  /** `encoder.layer{i}`. */
  prefix: string;
  weight: tf.Variable;
  bias: tf.Variable;
  bn: BatchNormLayer;
  pad: Pad;
  pool: boolean;
}
