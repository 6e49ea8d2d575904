/**
 * The backward kernels of conv2d (stride 1) and the 2x2 max-pool, called directly for the backbones'
 * hand-scheduled backward pass (see backbone.ts). TF.js registers them on every backend (on wasm, ours).
 */
import * as tf from '@tensorflow/tfjs-core';
import { overrideMaxPoolGrad, type BranchSiteChecks, type MaxPoolSites } from './branches.js';

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

/** A pool call's max-pool sites (see branches.ts), its name in errors, and where its checks go. */
export interface MaxPoolOverride {
  sites: MaxPoolSites;
  call: string;
  checks: BranchSiteChecks;
}

/**
 * d loss / d input for output = maxPool(input, 2, 2, 'valid'); with `override` (test-only), the listed
 * windows' gradients go to the given winners.
 */
export function maxPool2Grad(
  dy: tf.Tensor4D,
  input: tf.Tensor4D,
  output: tf.Tensor4D,
  override?: MaxPoolOverride,
): tf.Tensor4D {
  const attrs = { filterSize: [2, 2], strides: [2, 2], pad: 'valid', dimRoundingMode: undefined };
  const dx = tf
    .engine()
    .runKernel(tf.MaxPoolGrad, { dy, input, output }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  if (!override?.sites.window.length) return dx;
  const routed = overrideMaxPoolGrad(dx, input, dy, override.sites, override.call, override.checks);
  dx.dispose();
  return routed;
}
