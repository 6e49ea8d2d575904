/** Episode arrays (plain typed arrays, as they cross threads) as model tensors. */
import * as tf from '@tensorflow/tfjs-core';
import type { EpisodeBatch } from '../model/browser.js';
import type { EpisodeArrays, EpisodeTensorBatch } from './batch.js';

/** An episode's arrays as a model batch; the caller disposes it. */
export function arraysToBatch(a: EpisodeArrays): EpisodeBatch & { dispose(): void } {
  const support = tf.tensor4d(a.support, [a.way * a.shot, a.height, a.width, 3]);
  const query = tf.tensor4d(a.queries, [a.way * a.query, a.height, a.width, 3]);
  const queryLabels = tf.tensor1d(a.queryLabels, 'int32');
  return {
    support,
    query,
    queryLabels,
    way: a.way,
    shot: a.shot,
    dispose: () => tf.dispose([support, query, queryLabels]),
  };
}

/** Tensors from arrays (one upload each); the caller disposes them. */
export function arraysToTensors(
  a: EpisodeArrays,
): Omit<EpisodeTensorBatch, 'episode' | 'dispose' | 'way' | 'shot'> {
  return {
    support: tf.tensor4d(a.support, [a.supportLabels.length, a.height, a.width, 3], 'float32'),
    query: tf.tensor4d(a.queries, [a.queryLabels.length, a.height, a.width, 3], 'float32'),
    supportLabels: tf.tensor1d(a.supportLabels, 'int32'),
    queryLabels: tf.tensor1d(a.queryLabels, 'int32'),
  };
}
