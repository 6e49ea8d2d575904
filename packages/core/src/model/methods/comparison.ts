/**
 * Region comparison: r[q, s, k] = max over query regions j of cos(support region k, query region j).
 * All pairs at once: normalise, ONE product of every support region against every query region, one max.
 */
import * as tf from '@tensorflow/tfjs-core';
import { overrideRegionArgmax, type BranchSiteChecks, type RegionMaxSite } from '../backward/branches.js';

/** x / ||x|| along the last axis (eps as F.normalize's, 1e-12). */
export function l2Normalize(x: tf.Tensor, eps = 1e-12): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), -1, true), eps * eps))));
}

/**
 * a [M, C] times b [N, C] transposed, with a gradient that avoids transposeA products (slow on wasm):
 * da = dy b, db = (dy^T) a.
 */
export const matMulABt = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b, false, true),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      // Tidied: TF.js keeps a custom gradient's temporaries until the whole backward pass ends.
      return tf.tidy(() => [
        tf.matMul(dy as tf.Tensor2D, sb),
        tf.matMul(tf.transpose(dy as tf.Tensor2D), sa),
      ]);
    },
  };
});

/**
 * Max over the last axis. Its gradient goes to the first maximal entry only, as PyTorch's max does, through
 * a one-hot of the argmax: TF.js's own max gradient compares x with the broadcast max (Equal), which was a
 * third of the head's time on wasm, and splits the gradient among ties. `winners` (test-only, see
 * branches.ts) may replace argmax entries before the gradient uses them.
 */
function maxLastAxisOp(winners?: (x: tf.Tensor, argmax: tf.Tensor) => tf.Tensor) {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const n = x.shape[x.shape.length - 1];
    const argmax = tf.argMax(x, -1);
    const chosen = winners ? winners(x, argmax) : argmax;
    if (chosen !== argmax) argmax.dispose();
    save([chosen]);
    return {
      value: tf.max(x, -1),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          if (n === 1) return tf.reshape(dy, x.shape);
          // int32 one-hot, then cast: wasm's OneHot ignores a float32 dtype and writes integer bit patterns.
          const onehot = tf.cast(tf.oneHot(tf.reshape(saved[0], [-1]) as tf.Tensor1D, n), 'float32');
          return tf.reshape(tf.mul(onehot, tf.reshape(dy, [-1, 1])), x.shape);
        }),
    };
  });
}

export const maxLastAxis = maxLastAxisOp();

/**
 * support [S, R, C], query [Q, R, C] -> scores [Q, S, R]. `sites`: test-only region-max overrides (see
 * branches.ts).
 */
export function regionScores(
  support: tf.Tensor3D,
  query: tf.Tensor3D,
  sites?: { sites: readonly RegionMaxSite[]; checks: BranchSiteChecks },
): tf.Tensor3D {
  const [s, r, c] = support.shape;
  const [q, rq] = query.shape;
  const max = sites?.sites.length
    ? maxLastAxisOp((x, argmax) => overrideRegionArgmax(argmax, x, sites.sites, sites.checks))
    : maxLastAxis;
  return tf.tidy(() => {
    const sn = tf.reshape(l2Normalize(support), [s * r, c]) as tf.Tensor2D;
    const qn = tf.reshape(l2Normalize(query), [q * rq, c]) as tf.Tensor2D;
    const cos = tf.reshape(matMulABt(sn, qn), [s, r, q, rq]);
    // Max over the query's regions (the innermost axis), then order as [Q, S, R].
    return tf.transpose(max(cos), [2, 0, 1]) as tf.Tensor3D;
  });
}
