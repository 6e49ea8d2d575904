/**
 * Prototypical Networks: J. Snell, K. Swersky, R. Zemel, "Prototypical Networks for Few-shot Learning",
 * NeurIPS 2017, arXiv 1703.05175.
 *
 * An image's embedding is the backbone's feature map flattened; a class's prototype is the mean of its K
 * support embeddings; a query's class scores (logits) are the negative squared Euclidean distances to the
 * prototypes, its probabilities their softmax, and the loss the cross-entropy (the paper's), averaged over
 * the queries. No parameters beyond the backbone's (`encoder.*`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { FewShotClassifier, oneHotLabels, type ClassifierHeadOutput } from './few-shot-classifier.js';

/**
 * Squared Euclidean distances [Q, N] between rows of `q` [Q, D] and `p` [N, D], as |q|^2 - 2 q.p + |p|^2:
 * one GEMM instead of a [Q, N, D] difference tensor (which the backward pass would also keep).
 */
export function squaredDistances(q: tf.Tensor2D, p: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const qq = tf.sum(tf.square(q), 1, true); // [Q, 1]
    const pp = tf.reshape(tf.sum(tf.square(p), 1), [1, -1]); // [1, N]
    const qp = tf.matMul(q, p, false, true); // [Q, N]
    return tf.add(tf.sub(qq, tf.mul(qp, 2)), pp) as tf.Tensor2D;
  });
}

/** Mean over queries of -log softmax(logits)[label], from the logits (stable where probabilities underflow). */
export function crossEntropyLoss(logits: tf.Tensor2D, labels: tf.Tensor1D, way: number): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(logp, oneHotLabels(labels, way)), 1))) as tf.Scalar;
  });
}

export class ProtoNet extends FewShotClassifier {
  readonly method = 'protonet' as const;
  head(sf: tf.Tensor4D, qf: tf.Tensor4D, way: number, shot: number): ClassifierHeadOutput {
    const [, h, w, c] = sf.shape;
    if (qf.shape[1] !== h || qf.shape[2] !== w || qf.shape[3] !== c)
      throw new Error('model: support and query feature maps differ in size');
    const d = h * w * c;
    return tf.tidy(() => {
      // Class-major supports: [N*K, D] -> [N, K, D] -> mean over shots.
      const prototypes = tf.mean(tf.reshape(sf, [way, shot, d]), 1) as tf.Tensor2D;
      const queries = tf.reshape(qf, [qf.shape[0], d]) as tf.Tensor2D;
      const classScores = tf.neg(squaredDistances(queries, prototypes)) as tf.Tensor2D;
      return { classScores, probs: tf.softmax(classScores) as tf.Tensor2D };
    });
  }

  protected lossFrom(out: ClassifierHeadOutput, labels: tf.Tensor1D, way: number): tf.Scalar {
    return crossEntropyLoss(out.classScores, labels, way);
  }
}
