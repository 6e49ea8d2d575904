/** Seeded random episodes in model form, for tests and benchmarks whose result does not depend on the pixels. */
import * as tf from '@tensorflow/tfjs-core';
import type { EpisodeBatch } from './types.js';

/** `way`-way `shot`-shot with `queries` per class, images N(0, 1) from fixed seeds, labels class-major. */
export function syntheticBatch(size: number, way = 3, shot = 2, queries = 2): EpisodeBatch {
  return {
    support: tf.randomNormal([way * shot, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D,
    query: tf.randomNormal([way * queries, size, size, 3], 0, 1, 'float32', 2) as tf.Tensor4D,
    queryLabels: tf.tensor1d(
      Array.from({ length: way * queries }, (_, i) => Math.floor(i / queries)),
      'int32',
    ),
    way,
    shot,
  };
}

/** Disposes a batch's tensors. */
export function disposeBatch(b: EpisodeBatch): void {
  tf.dispose([b.support, b.query, ...(b.queryLabels ? [b.queryLabels] : [])]);
}
