/**
 * One ResNet-12 residual block's parameters: what `ResNet12` (resnet12.ts) builds and both its passes,
 * whole and chunked (resnet12-chunked.ts), run.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { BatchNormLayer } from '../backward/batchnorm.js';

export interface ResBlock {
  /** `encoder.layer{i}`. */
  prefix: string;
  convs: [tf.Variable, tf.Variable, tf.Variable];
  bns: [BatchNormLayer, BatchNormLayer, BatchNormLayer];
  downConv: tf.Variable;
  downBn: BatchNormLayer;
  dropBlock: boolean;
}
