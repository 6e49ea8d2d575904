/**
 * The backward kernels of conv2d (stride 1) and the 2x2 max-pool, called directly for the backbones'
 * hand-scheduled backward pass (see backbone.ts). TF.js registers them on every backend (on wasm, ours).
 */
import * as tf from '@tensorflow/tfjs-core';
import { webGpuBufferLimit } from '../../backend/browser.js';
import { overrideMaxPoolGrad, type BranchSiteChecks, type MaxPoolSites } from './branches.js';

export type Pad = 'valid' | 'same';

/** d loss / d W for y = conv2d(x, W, 1, pad), W of `filterShape` [kh, kw, in, out]. */
export function conv2dGradFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  pad: Pad,
): tf.Tensor4D {
  if (tf.getBackend() === 'webgpu' && gradFilterFitsAsConv(x, dy, filterShape))
    return gradFilterByConv(x, dy, filterShape, pad);
  const attrs = { strides: [1, 1], pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape };
  return tf
    .engine()
    .runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}

/**
 * dW as one forward convolution over transposed operands: x^T [in, H, W, B] convolved with dy^T
 * [Ho, Wo, B, out] gives [in, kh, kw, out]. On webgpu its tiled conv shader is ~7x faster on lavapipe than
 * tfjs-backend-webgpu's Conv2DBackpropFilter, which loops over the whole batch in one invocation per weight.
 */
function gradFilterByConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  pad: Pad,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filterShape;
    const [top, left] = [Math.floor((kh - 1) / 2), Math.floor((kw - 1) / 2)];
    const padded =
      pad === 'same'
        ? tf.pad(x, [
            [0, 0],
            [top, kh - 1 - top],
            [left, kw - 1 - left],
            [0, 0],
          ])
        : x;
    const xt = tf.transpose(padded, [3, 1, 2, 0]);
    const dyt = tf.transpose(dy, [1, 2, 0, 3]);
    return tf.transpose(tf.conv2d(xt, dyt, 1, 'valid'), [1, 2, 0, 3]);
  });
}

/**
 * Whether `gradFilterByConv` keeps every buffer within the device's limit: its padded input is up to
 * (H + kh - 1)(W + kw - 1)/(HW) times x, and where tfjs-backend-webgpu picks its im2col path for a conv this
 * small in output (few workgroups), the im2col matrix is [in, kh * kw, Ho * Wo * B].
 */
function gradFilterFitsAsConv(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
): boolean {
  const limit = webGpuBufferLimit() ?? Infinity;
  const [kh, kw, inC, outC] = filterShape;
  const [b, h, w] = x.shape;
  if (b * (h + kh - 1) * (w + kw - 1) * inC * 4 > limit) return false;
  const threshold =
    (tf.backend() as unknown as { thresholdToIncreaseWorkgroups?: number }).thresholdToIncreaseWorkgroups ??
    16;
  const workgroups = inC * Math.ceil((kh * kw) / 32) * Math.ceil(outC / 32);
  return workgroups > threshold || inC * kh * kw * (dy.size / outC) * 4 <= limit;
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
