/**
 * Relation Network: F. Sung, Y. Yang, L. Zhang, T. Xiang, P. H. S. Torr, T. M. Hospedales, "Learning to
 * Compare: Relation Network for Few-Shot Learning", CVPR 2018, arXiv 1711.06025.
 *
 * A class's feature map is the sum of its K support feature maps (the paper sums for K-shot); for each
 * (query, class) pair the relation module scores [class map ; query map] (concatenated along channels) in
 * [0, 1]: two blocks of 3x3 conv (64 filters) -> BatchNorm -> ReLU -> 2x2 max-pool, then FC 64 -> 8 ReLU,
 * FC 8 -> 1 sigmoid. The loss is the paper's: mean squared error between the relation scores and the
 * one-hot labels.
 *
 * Deviations, for the feature-map sizes of the shared backbones (5x5 Omniglot-28, 6x6 at 32 px, 19x19 at
 * 84 px with Conv4; 5x5 and 2x2 with ResNet-12):
 * - the convs are 'same'-padded (the paper pads Omniglot's module, not miniImageNet's), so small maps
 *   survive both blocks;
 * - a block skips its pool when the map is already smaller than 2x2;
 * - the map left after the blocks is global-average-pooled to 64 values, so the FC input is 64 at every
 *   image size. Where that map is 1x1 (Omniglot-28, 32 px) this is the paper's module exactly; at 84 px
 *   (4x4 left) the paper's miniImageNet module instead flattens its 3x3 map into FC 576 -> 8.
 *
 * Outputs: `classScores` are the relation scores r in (0, 1) (what the loss sees); `probs` are them
 * normalised over classes, r / sum(r), computed as softmax(log sigmoid(z)) from the logits z so that it
 * stays finite when every r underflows.
 *
 * Parameters (`head.*`, the reference `RelationNetwork`'s module names): `head.layer{1,2}.0` conv (weight
 * [3, 3, in, 64], bias), `head.layer{1,2}.1` BatchNorm, `head.fc{1,2}` (weight in TF.js layout [in, out],
 * bias). Initialised as the reference does: convs He-normal (fan-out), bias 0; FC weights N(0, 0.01),
 * bias 1.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FewShotClassifier, oneHotLabels, type ClassifierHeadOutput } from './few-shot-classifier.js';
import {
  batchNormAct,
  createBatchNorm,
  type BatchNormLayer,
  type BatchNormOptions,
} from '../backward/batchnorm.js';
import type { ModelConfigInput } from '../config.js';
import type { ParamStore } from '../params.js';
import type { HeadContext } from './region-weights.js';

/** Filters of the relation module's convs and width of its hidden FC layer (the paper's). */
export const RELATION_FILTERS = 64;
export const RELATION_HIDDEN = 8;

interface ConvBlock {
  weight: tf.Variable;
  bias: tf.Variable;
  bn: BatchNormLayer;
}

interface Dense {
  weight: tf.Variable;
  bias: tf.Variable;
}

/** FNV-1a of the seed and a name: a parameter's initial values do not depend on creation order. */
function seedFor(name: string, seed: number): number {
  let h = 0x811c9dc5 ^ (seed | 0);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % 2147483647;
}

/** A dense layer as the reference initialises it: weight N(0, 0.01) in TF.js layout [in, out], bias 1. */
function dense(store: ParamStore, prefix: string, inC: number, outC: number, seed: number): Dense {
  const weight = store.constant(`${prefix}.weight`, [inC, outC], 0);
  const init = tf.randomNormal([inC, outC], 0, 0.01, 'float32', seedFor(`${prefix}.weight`, seed));
  weight.assign(init);
  init.dispose();
  return { weight, bias: store.constant(`${prefix}.bias`, [outC], 1) };
}

/** Mean squared error between relation scores [Q, N] and the one-hot labels (the paper's loss). */
export function relationMseLoss(scores: tf.Tensor2D, labels: tf.Tensor1D, way: number): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(scores, oneHotLabels(labels, way)))) as tf.Scalar);
}

export class RelationModule {
  private readonly blocks: ConvBlock[] = [];
  private readonly fc1: Dense;
  private readonly fc2: Dense;

  /** `channels`: the backbone's output channels C (the module's input has 2C). */
  constructor(
    store: ParamStore,
    private readonly channels: number,
    seed: number,
  ) {
    let inC = 2 * channels;
    for (const i of [1, 2]) {
      const p = `head.layer${i}`;
      this.blocks.push({
        weight: store.conv(`${p}.0.weight`, 3, 3, inC, RELATION_FILTERS),
        bias: store.constant(`${p}.0.bias`, [RELATION_FILTERS], 0),
        bn: createBatchNorm(store, `${p}.1`, RELATION_FILTERS),
      });
      inC = RELATION_FILTERS;
    }
    this.fc1 = dense(store, 'head.fc1', RELATION_FILTERS, RELATION_HIDDEN, seed);
    this.fc2 = dense(store, 'head.fc2', RELATION_HIDDEN, 1, seed);
  }

  /** Relation logits z [Q, N] (scores are sigmoid(z)) for class maps [N, h, w, C] and query maps [Q, h, w, C]. */
  logits(classes: tf.Tensor4D, queries: tf.Tensor4D, ctx: HeadContext): tf.Tensor2D {
    const [n, h, w, c] = classes.shape;
    const q = queries.shape[0];
    if (c !== this.channels) throw new Error(`relation module: expected ${this.channels} channels, got ${c}`);
    return tf.tidy(() => {
      const opts = (b: ConvBlock): BatchNormOptions => ({
        batchStats: ctx.batchStats,
        updateStats: ctx.updateStats,
        momentum: ctx.bnMomentum,
        eps: ctx.bnEps,
        activation: 'relu',
        slope: 0,
        pass: ctx.pass,
        // The conv bias is not added: it cancels under batch statistics (see BatchNormOptions.preBias).
        preBias: b.bias as tf.Tensor1D,
      });
      const [b1, b2] = this.blocks;
      // conv([x_class ; x_query], W) = conv(x_class, W_class) + conv(x_query, W_query) (class first, as in
      // the reference): N + Q convolutions instead of N * Q on the concatenated pairs.
      const wc = tf.slice(b1.weight, [0, 0, 0, 0], [3, 3, c, RELATION_FILTERS]) as tf.Tensor4D;
      const wq = tf.slice(b1.weight, [0, 0, c, 0], [3, 3, c, RELATION_FILTERS]) as tf.Tensor4D;
      const pc = tf.reshape(tf.conv2d(classes, wc, 1, 'same'), [1, n, h, w, RELATION_FILTERS]);
      const pq = tf.reshape(tf.conv2d(queries, wq, 1, 'same'), [q, 1, h, w, RELATION_FILTERS]);
      const pairs = tf.reshape(tf.add(pq, pc), [q * n, h, w, RELATION_FILTERS]) as tf.Tensor4D;
      let x = maybePool(batchNormAct(pairs, b1.bn, opts(b1)));
      x = maybePool(batchNormAct(tf.conv2d(x, b2.weight as tf.Tensor4D, 1, 'same'), b2.bn, opts(b2)));
      // Global average pool: FC 64 -> 8 at every map size (see the file comment).
      const v = tf.mean(x, [1, 2]) as tf.Tensor2D;
      const hdn = tf.relu(tf.add(tf.matMul(v, this.fc1.weight as tf.Tensor2D), this.fc1.bias));
      const z = tf.add(tf.matMul(hdn as tf.Tensor2D, this.fc2.weight as tf.Tensor2D), this.fc2.bias);
      return tf.reshape(z, [q, n]) as tf.Tensor2D;
    });
  }
}

/** 2x2 max-pool (stride 2, floor), skipped when the map is already smaller than 2x2. */
function maybePool(x: tf.Tensor4D): tf.Tensor4D {
  return x.shape[1] >= 2 && x.shape[2] >= 2 ? tf.maxPool(x, 2, 2, 'valid') : x;
}

export class RelationNet extends FewShotClassifier {
  readonly method = 'relationnet' as const;
  readonly relation: RelationModule;

  constructor(config: ModelConfigInput) {
    super(config);
    this.relation = new RelationModule(this.store, this.backbone.outChannels, this.config.seed);
  }

  head(sf: tf.Tensor4D, qf: tf.Tensor4D, way: number, shot: number, training: boolean): ClassifierHeadOutput {
    const [, h, w, c] = sf.shape;
    if (qf.shape[1] !== h || qf.shape[2] !== w || qf.shape[3] !== c)
      throw new Error('model: support and query feature maps differ in size');
    return tf.tidy(() => {
      // Class-major supports [N*K, h, w, C] -> per-class sum over the K shots.
      const classes = tf.sum(tf.reshape(sf, [way, shot, h, w, c]), 1) as tf.Tensor4D;
      const z = this.relation.logits(classes, qf, this.headContext(training));
      return {
        classScores: tf.sigmoid(z) as tf.Tensor2D,
        probs: tf.softmax(tf.logSigmoid(z)) as tf.Tensor2D,
      };
    });
  }

  protected lossFrom(out: ClassifierHeadOutput, labels: tf.Tensor1D, way: number): tf.Scalar {
    return relationMseLoss(out.classScores, labels, way);
  }
}
