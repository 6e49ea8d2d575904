/** What every backbone provides: NHWC images in, NHWC feature map out. */
import type * as tf from '@tensorflow/tfjs-core';

export interface LayerContext {
  /** Training: DropBlock active, running statistics updated. */
  training: boolean;
  /** Normalise with batch statistics (always when training). */
  batchStats: boolean;
  bnMomentum: number;
  bnEps: number;
}

export interface Backbone {
  readonly outChannels: number;
  /** [B, H, W, 3] -> [B, h, w, C]. Each call normalises with its own batch statistics, as the reference does. */
  apply(images: tf.Tensor4D, ctx: LayerContext): tf.Tensor4D;
}
