/**
 * The backward kernels of conv2d (stride 1) and the 2x2 max-pool, called directly for the backbones'
 * hand-scheduled backward pass (see backbone.ts). TF.js registers them on every backend (on wasm, ours).
 */
import * as tf from '@tensorflow/tfjs-core';
import { applyMaxPoolSites, type MaxPoolSites } from './branches.js';

export type Pad = 'valid' | 'same';

/** d loss / d W for y = conv2d(x, W, 1, pad), W of `filterShape` [kh, kw, in, out]. */
export function conv2dGradFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  pad: Pad,
): tf.Tensor4D {
  const attrs = { strides: [1, 1], pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape };
  return tf
    .engine()
    .runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/** d loss / d x for y = conv2d(x, W, 1, pad), x of `inputShape`. */
export function conv2dGradInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  pad: Pad,
): tf.Tensor4D {
  const attrs = { strides: [1, 1], pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape };
  return tf
    .engine()
    .runKernel(tf.Conv2DBackpropInput, { dy, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/**
 * d loss / d input for output = maxPool(input, 2, 2, 'valid'); with `sites` (see branches.ts), the listed
 * windows' gradients go to the given winners. `call` names the pool in errors.
 */
export function maxPool2Grad(
  dy: tf.Tensor4D,
  input: tf.Tensor4D,
  output: tf.Tensor4D,
  sites?: MaxPoolSites,
  call = 'max-pool',
): tf.Tensor4D {
  const attrs = { filterSize: [2, 2], strides: [2, 2], pad: 'valid', dimRoundingMode: undefined };
  const dx = tf
    .engine()
    .runKernel(tf.MaxPoolGrad, { dy, input, output }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  if (!sites?.window.length) return dx;
  const routed = Float32Array.from(dx.dataSync());
  dx.dispose();
  const x = input.dataSync() as Float32Array;
  const g = dy.dataSync() as Float32Array;
  applyMaxPoolSites(routed, x, g, input.shape, output.shape, sites, call);
  return tf.tensor4d(routed, input.shape);
}
