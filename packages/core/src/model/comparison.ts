/**
 * Region comparison: r[q, s, k] = max over query regions j of cos(support region k, query region j).
 * All pairs at once: normalise, ONE product of every support region against every query region, one max.
 */
import * as tf from '@tensorflow/tfjs-core';

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

/** support [S, R, C], query [Q, R, C] -> scores [Q, S, R]. */
export function regionScores(support: tf.Tensor3D, query: tf.Tensor3D): tf.Tensor3D {
  const [s, r, c] = support.shape;
  const [q, rq] = query.shape;
  return tf.tidy(() => {
    const sn = tf.reshape(l2Normalize(support), [s * r, c]) as tf.Tensor2D;
    const qn = tf.reshape(l2Normalize(query), [q * rq, c]) as tf.Tensor2D;
    const cos = tf.reshape(matMulABt(sn, qn), [s, r, q, rq]);
    // Max over the query's regions (the innermost axis), then order as [Q, S, R].
    return tf.transpose(tf.max(cos, -1), [2, 0, 1]) as tf.Tensor3D;
  });
}
