/**
 * Grad-CAM (Selvaraju et al., 2017) as a baseline attribution, taken at the head's input: the backbone's
 * hand-scheduled training trace is not what inference runs, while `RCN.head` on given features is plain
 * TF.js and differentiable by tf.grad. The map of a feature map A for the score y is
 * ReLU(sum_c alpha_c A[:, :, c]), alpha_c = mean over cells of dy/dA[:, :, c]; cells are then averaged into
 * the model's regions (the same bins as the region pooling).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type RCN, cellsToRegions } from '../model/index.js';

/** Which image of a pair an attribution (or a perturbation) refers to. */
export type ExplainSide = 'query' | 'support';

export interface GradCamTarget {
  /** Query row whose class score is explained. */
  query: number;
  classIndex: number;
  side: ExplainSide;
  /** With side `support`: which support image (class-major index); default the class's first shot. */
  support?: number;
}

/** Grad-CAM region map [R] for `target`, given the episode's backbone features (not disposed). */
export async function gradCamRegions(
  model: RCN,
  sf: tf.Tensor4D,
  qf: tf.Tensor4D,
  way: number,
  shot: number,
  target: GradCamTarget,
): Promise<Float32Array> {
  const { query, classIndex, side } = target;
  const image = side === 'query' ? query : (target.support ?? classIndex * shot);
  const cam = tf.tidy(() => {
    const score = (t: tf.Tensor) => {
      const x = t as tf.Tensor4D;
      const h = side === 'query' ? model.head(sf, x, way, shot, false) : model.head(x, qf, way, shot, false);
      return tf.reshape(tf.slice(h.classScores, [query, classIndex], [1, 1]), []) as tf.Scalar;
    };
    const feats = side === 'query' ? qf : sf;
    const g = tf.grad(score)(feats) as tf.Tensor4D;
    const [, fh, fw, c] = feats.shape;
    const a = tf.slice(feats, [image, 0, 0, 0], [1, fh, fw, c]);
    const alpha = tf.mean(tf.slice(g, [image, 0, 0, 0], [1, fh, fw, c]), [1, 2], true);
    return tf.relu(tf.sum(tf.mul(a, alpha), -1));
  });
  let cells: Float32Array;
  try {
    cells = (await cam.data()) as Float32Array;
  } finally {
    cam.dispose();
  }
  return cellsToRegions(cells, model.config);
}
