/**
 * DropBlock (Ghiasi et al., 2018) as in the ResNet-12 of MetaOptNet / FEAT: drop square blocks of a feature
 * map, channel by channel, and rescale so that the expected activation is unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * The multiplicative mask (0 in dropped blocks, else the rescaling factor) for a [B, H, W, C] map. `rate` is
 * the fraction of units to drop; the block seeds' probability follows the paper's formula.
 */
export function dropBlockMask(
  shape: [number, number, number, number],
  rate: number,
  blockSize: number,
  seed: number,
): tf.Tensor4D {
  const [b, h, w, c] = shape;
  const bs = Math.min(blockSize, h, w);
  return tf.tidy(() => {
    const sh = h - bs + 1;
    const sw = w - bs + 1;
    const gamma = ((rate / (bs * bs)) * (h * w)) / (sh * sw);
    // Seeds mark blocks' top-left corners; a stride-1 max-pool over the padded seeds paints the blocks.
    const seeds = tf.cast(tf.less(tf.randomUniform([b, sh, sw, c], 0, 1, 'float32', seed), gamma), 'float32');
    const padded = tf.pad(seeds, [
      [0, 0],
      [bs - 1, bs - 1],
      [bs - 1, bs - 1],
      [0, 0],
    ]);
    const keep = tf.sub(1, tf.maxPool(padded as tf.Tensor4D, bs, 1, 'valid'));
    // keep.size / kept (0 when nothing is kept), on the device: webgpu cannot read synchronously under Node.
    const kept = tf.sum(keep);
    const scale = tf.where(tf.greater(kept, 0), tf.div(keep.size, tf.maximum(kept, 1)), tf.zerosLike(kept));
    return tf.mul(keep, scale) as tf.Tensor4D;
  });
}

export function dropBlock(x: tf.Tensor4D, rate: number, blockSize: number, seed: number): tf.Tensor4D {
  if (rate <= 0) return x;
  return tf.tidy(() => tf.mul(x, dropBlockMask(x.shape, rate, blockSize, seed)) as tf.Tensor4D);
}
