/**
 * Batch-statistics BatchNorm (+ activation, + residual sum) over a pass whose images are held in chunks
 * (see chunking.ts): the same numbers as `batchNormForward` / `batchNormBackward` on the whole pass, computed
 * in two passes over the chunks so that no tensor is larger than one chunk's.
 *
 * Forward: the chunks' column sums give the pass's mean; the column sums of (x - mean)^2 its (biased)
 * variance, exactly as the unchunked layer computes them; then each chunk is normalised. Backward: the
 * chunks' sums of dpre and dpre * xhat give the global dbeta and dgamma, then each chunk's dx. The running
 * statistics are updated once, from the whole pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  affineAct,
  batchNormOutput,
  runningBatchNorm,
  updateRunningStats,
  type BatchNormCache,
  type BatchNormLayer,
  type BatchNormOptions,
} from './batchnorm.js';

/** One input of a (summed) chunked BatchNorm: the chunks of one tensor, its layer, the skipped conv bias. */
export interface ChunkedBatchNormInput {
  xs: tf.Tensor[];
  bn: BatchNormLayer;
  preBias?: tf.Tensor1D;
}

/** Adds [1, C] tensors in order, disposing the parts. */
function sumInOrder(parts: tf.Tensor[]): tf.Tensor {
  let acc = parts[0];
  for (let i = 1; i < parts.length; i++) {
    const next = tf.add(acc, parts[i]);
    tf.dispose([acc, parts[i]]);
    acc = next;
  }
  return acc;
}

function rows(x: tf.Tensor, c: number): tf.Tensor2D {
  return tf.reshape(x, [x.size / c, c]);
}

/** The pass's mean and rstd of one input, over every chunk; updates its running statistics when asked. */
function passStats(inp: ChunkedBatchNormInput, opts: BatchNormOptions): { mean: tf.Tensor; rstd: tf.Tensor } {
  const shape = inp.xs[0].shape;
  const c = shape[shape.length - 1];
  const m = inp.xs.reduce((a, x) => a + x.size / c, 0);
  return tf.tidy(() => {
    const mean = tf.div(sumInOrder(inp.xs.map((x) => tf.tidy(() => tf.sum(rows(x, c), 0, true)))), m);
    const sq = inp.xs.map((x) => tf.tidy(() => tf.sum(tf.square(tf.sub(rows(x, c), mean)), 0, true)));
    const variance = tf.div(sumInOrder(sq), m);
    if (opts.updateStats) updateRunningStats(inp, mean, variance, m, opts);
    return { mean, rstd: tf.rsqrt(tf.add(variance, opts.eps)) };
  });
}

/**
 * act(sum_i BN_i(x_i)) over chunked inputs (every input chunked alike). With `keep`, one cache per chunk,
 * each usable by `batchNormOutput`; with running statistics no chunk depends on another.
 */
export function chunkedBatchNormForward(
  inputs: ChunkedBatchNormInput[],
  opts: BatchNormOptions,
  keep: boolean,
): { outs: tf.Tensor[]; caches: BatchNormCache[] } {
  const n = inputs[0].xs.length;
  if (!opts.batchStats) {
    if (keep) throw new Error('a training trace needs batch statistics');
    const outs = Array.from({ length: n }, (_, k) =>
      runningBatchNorm(
        inputs.map((inp) => ({ x: inp.xs[k], bn: inp.bn, preBias: inp.preBias })),
        opts,
      ),
    );
    return { outs, caches: [] };
  }
  const stats = inputs.map((inp) => passStats(inp, opts));
  const gammas = inputs.map((i) => i.bn.gamma);
  const betas = inputs.map((i) => i.bn.beta);
  const outs: tf.Tensor[] = [];
  const caches: BatchNormCache[] = [];
  for (let k = 0; k < n; k++) {
    const shape = inputs[0].xs[k].shape;
    const c = shape[shape.length - 1];
    const xhats = inputs.map((inp, j) =>
      tf.tidy(() => tf.mul(tf.sub(rows(inp.xs[k], c), stats[j].mean), stats[j].rstd) as tf.Tensor2D),
    );
    outs.push(affineAct(xhats, gammas, betas, opts, shape));
    if (keep) {
      const rstds = stats.map((s) => tf.clone(s.rstd));
      caches.push({ xhats, rstds, gammas, betas, out: null, sites: null, call: '', shape });
    } else {
      tf.dispose(xhats);
    }
  }
  tf.dispose(stats.flatMap((s) => [s.mean, s.rstd]));
  return { outs, caches };
}

/**
 * Gradients of a chunked act(sum_i BN_i(x_i)) for per-chunk upstream `dys`: `dx[i][k]` is input i's chunk k;
 * dgamma and dbeta are the pass's. `outs[k]`, when given, is chunk k's output (else recomputed).
 */
export function chunkedBatchNormBackward(
  dys: tf.Tensor[],
  caches: BatchNormCache[],
  opts: BatchNormOptions,
  outs?: tf.Tensor[],
): { dx: tf.Tensor[][]; dGamma: tf.Tensor1D[]; dBeta: tf.Tensor1D[] } {
  const shape0 = caches[0].shape;
  const c = shape0[shape0.length - 1];
  const m = dys.reduce((a, d) => a + d.size / c, 0);
  const nIn = caches[0].xhats.length;
  const low = opts.activation === 'leaky' ? opts.slope : 0;
  // dpre per chunk, kept until every chunk's dx is computed (it needs the global sums).
  const d2s = dys.map((dy, k) =>
    tf.tidy(() => {
      if (opts.activation === 'none') return rows(dy, c);
      const y = outs?.[k] ?? batchNormOutput(caches[k], opts);
      return rows(tf.mul(dy, tf.step(y, low)), c);
    }),
  );
  const dBeta = sumInOrder(d2s.map((d2) => tf.sum(d2, 0, true)));
  const dGammas = Array.from({ length: nIn }, (_, j) =>
    sumInOrder(d2s.map((d2, k) => tf.tidy(() => tf.sum(tf.mul(d2, caches[k].xhats[j]), 0, true)))),
  );
  const dx: tf.Tensor[][] = [];
  for (let j = 0; j < nIn; j++) {
    // dx = d2 * s - xhat * (s * mean(dpre * xhat)) - s * mean(dpre), with s = gamma * rstd per channel.
    const [scale, k, offset] = tf.tidy(() => {
      const sc = tf.mul(caches[0].gammas[j], caches[0].rstds[j]);
      return [sc, tf.mul(sc, tf.div(dGammas[j], m)), tf.mul(sc, tf.div(dBeta, m))];
    });
    dx.push(
      d2s.map((d2, q) =>
        tf.tidy(() =>
          tf.reshape(
            tf.sub(tf.sub(tf.mul(d2, scale), tf.mul(caches[q].xhats[j], k)), offset),
            caches[q].shape,
          ),
        ),
      ),
    );
    tf.dispose([scale, k, offset]);
  }
  tf.dispose(d2s);
  const res = {
    dx,
    dGamma: dGammas.map((g) => tf.reshape(g, [c]) as tf.Tensor1D),
    dBeta: dGammas.map(() => tf.reshape(dBeta, [c]) as tf.Tensor1D),
  };
  tf.dispose([dBeta, ...dGammas]);
  return res;
}
