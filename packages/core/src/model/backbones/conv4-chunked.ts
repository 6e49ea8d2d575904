/**
 * Conv4's block over a chunked pass (see chunking.ts): the same computation as `Conv4`'s step, with every
 * per-image op run chunk by chunk and BatchNorm over the whole pass (batchnorm-chunked.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { accumulate, bnOptions, type LayerContext } from '../backward/backbone.js';
import { batchNormOutput, disposeCache } from '../backward/batchnorm.js';
import { chunkedBatchNormBackward, chunkedBatchNormForward } from '../backward/batchnorm-chunked.js';
import type { ChunkStep } from './chunking.js';
import type { Conv4Block } from './conv4-block.js';
import { conv2dGradFilter, conv2dGradInput, maxPool2Grad } from '../backward/grad-kernels.js';

/** The largest tensor (activation or padded conv input) of a Conv4 pass per image of `height` x `width`, in bytes (float32). */
export function conv4BytesPerImage(blocks: readonly Conv4Block[], height: number, width: number): number {
  let h = height;
  let w = width;
  let most = h * w * 3 * 4;
  for (const b of blocks) {
    if (b.pad === 'valid') {
      h -= 2;
      w -= 2;
    }
    // A same-padded conv's weight gradient on webgpu pads its input by one pixel (backward/grad-kernels.ts).
    const pad = b.pad === 'same' ? 2 : 0;
    most = Math.max(most, h * w * b.bn.gamma.size * 4, (h + pad) * (w + pad) * b.weight.shape[2]! * 4);
    if (b.pool) {
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    }
  }
  return most;
}

export function conv4ChunkStep(
  b: Conv4Block,
  xs: tf.Tensor4D[],
  ctx: LayerContext,
  keep: boolean,
): ChunkStep {
  const opts = { ...bnOptions(ctx, 'relu', 0), preBias: b.bias as tf.Tensor1D };
  const weight = b.weight as tf.Tensor4D;
  // The conv bias is not added: see BatchNormOptions.preBias.
  const convs = xs.map((x) => tf.conv2d(x, weight, 1, b.pad));
  const { outs: ys, caches } = chunkedBatchNormForward(
    [{ xs: convs, bn: b.bn, preBias: opts.preBias }],
    opts,
    keep,
  );
  tf.dispose(convs);
  const outs = ys.map((y) => {
    if (!b.pool) return y as tf.Tensor4D;
    const p = tf.maxPool(y as tf.Tensor4D, 2, 2, 'valid');
    y.dispose();
    return p;
  });
  return {
    outs,
    dispose: () => {
      for (const c of caches) disposeCache(c);
      tf.dispose(outs);
    },
    backward: (dOuts, needInputGrad, grads) => {
      if (!caches.length) throw new Error('Conv4: no trace kept');
      const acts = b.pool ? caches.map((c) => batchNormOutput(c, opts) as tf.Tensor4D) : outs;
      const dys = b.pool ? dOuts.map((d, k) => maxPool2Grad(d, acts[k], outs[k])) : dOuts;
      const g = chunkedBatchNormBackward(dys, caches, opts, acts);
      if (b.pool) tf.dispose([...acts, ...dys]);
      accumulate(grads, `${b.bn.name}.weight`, g.dGamma[0]);
      accumulate(grads, `${b.bn.name}.bias`, g.dBeta[0]);
      const dcs = g.dx[0] as tf.Tensor4D[];
      const filterShape = weight.shape;
      dcs.forEach((dc, k) =>
        accumulate(grads, `${b.prefix}.0.weight`, conv2dGradFilter(xs[k], dc, filterShape, b.pad)),
      );
      const dxs = needInputGrad ? dcs.map((dc, k) => conv2dGradInput(dc, weight, xs[k].shape, b.pad)) : null;
      tf.dispose(dcs);
      return dxs;
    },
  };
}
