/**
 * ResNet-12's residual block over a chunked pass (see chunking.ts): the same computation as `ResNet12`'s
 * step, with every per-image op run chunk by chunk and BatchNorm over the whole pass
 * (batchnorm-chunked.ts). The DropBlock mask is drawn once for the whole pass (same seed, same mask as
 * unchunked) and cut into the chunks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { accumulate, bnOptions, type LayerContext } from '../backward/backbone.js';
import { batchNormOutput, disposeCache, type BatchNormCache } from '../backward/batchnorm.js';
import { chunkedBatchNormBackward, chunkedBatchNormForward } from '../backward/batchnorm-chunked.js';
import { splitChunks, type ChunkStep } from './chunking.js';
import type { DropBlockConfig } from '../config.js';
import { dropBlockMask } from './dropblock.js';
import { conv2dGradFilter, conv2dGradInput, maxPool2Grad } from '../backward/grad-kernels.js';
import type { ResBlock } from './resnet12-block.js';

/** The largest tensor (activation or padded conv input) of a ResNet-12 pass per image of `height` x `width`, in bytes (float32). */
export function resnet12BytesPerImage(blocks: readonly ResBlock[], height: number, width: number): number {
  let h = height;
  let w = width;
  let most = h * w * 3 * 4;
  for (const b of blocks) {
    // The convs' weight gradients on webgpu pad their [h, w, C] inputs by one pixel (backward/grad-kernels.ts).
    most = Math.max(most, (h + 2) * (w + 2) * b.bns[0].gamma.size * 4);
    h = Math.floor(h / 2);
    w = Math.floor(w / 2);
  }
  return most;
}

/** What the block needs of its ResNet12: the activation slope, DropBlock, and the next DropBlock seed. */
export interface ResChunkContext {
  slope: number;
  drop: DropBlockConfig | null;
  nextDropSeed: () => number;
}

export function resnet12ChunkStep(
  b: ResBlock,
  xs: tf.Tensor4D[],
  ctx: LayerContext,
  keep: boolean,
  rc: ResChunkContext,
): ChunkStep {
  const opts = bnOptions(ctx, 'leaky', rc.slope);
  const w = b.convs.map((v) => v as tf.Tensor4D);
  const downConv = b.downConv as tf.Tensor4D;
  const caches: BatchNormCache[][] = [];
  const layer = (inputs: tf.Tensor4D[], j: number): tf.Tensor4D[] => {
    const convs = inputs.map((x) => tf.conv2d(x, w[j], 1, 'same'));
    const r = chunkedBatchNormForward([{ xs: convs, bn: b.bns[j] }], opts, keep);
    tf.dispose(convs);
    if (keep) caches.push(r.caches);
    return r.outs as tf.Tensor4D[];
  };
  const z1 = layer(xs, 0);
  const z2 = layer(z1, 1);
  tf.dispose(z1);
  const c3 = z2.map((z) => tf.conv2d(z, w[2], 1, 'same'));
  tf.dispose(z2);
  const cd = xs.map((x) => tf.conv2d(x, downConv, 1, 'same'));
  const tail = chunkedBatchNormForward(
    [
      { xs: c3, bn: b.bns[2] },
      { xs: cd, bn: b.downBn },
    ],
    opts,
    keep,
  );
  tf.dispose([...c3, ...cd]);
  const pooled = tail.outs.map((t) => {
    const p = tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid');
    t.dispose();
    return p;
  });
  const drop = ctx.training && b.dropBlock && rc.drop && rc.drop.rate > 0 ? rc.drop : null;
  let masks: tf.Tensor4D[] | null = null;
  if (drop) {
    const count = pooled.reduce((a, p) => a + p.shape[0], 0);
    const [, ph, pw, pc] = pooled[0].shape;
    const full = dropBlockMask([count, ph, pw, pc], drop.rate, drop.blockSize, rc.nextDropSeed());
    masks = splitChunks(full, pooled[0].shape[0]);
    full.dispose();
  }
  const outs = masks ? pooled.map((p, k) => tf.mul(p, (masks as tf.Tensor4D[])[k]) as tf.Tensor4D) : pooled;
  if (masks && !keep) tf.dispose([...pooled, ...masks]);
  const cache3 = tail.caches;
  return {
    outs,
    dispose: () => {
      for (const c of [...caches.flat(), ...cache3]) disposeCache(c);
      tf.dispose([...outs, ...(masks && keep ? [...pooled, ...masks] : [])]);
    },
    backward: (dOuts, needInputGrad, grads) => {
      if (!cache3.length || caches.length !== 2) throw new Error('ResNet12: no trace kept');
      const recompute = (cs: BatchNormCache[]) => cs.map((c) => batchNormOutput(c, opts) as tf.Tensor4D);
      const dPooled = masks
        ? dOuts.map((d, k) => tf.mul(d, (masks as tf.Tensor4D[])[k]) as tf.Tensor4D)
        : dOuts;
      const z = recompute(cache3);
      const dz = dPooled.map((d, k) => maxPool2Grad(d, z[k], pooled[k]));
      if (masks) tf.dispose(dPooled);
      const g3 = chunkedBatchNormBackward(dz, cache3, opts, z);
      tf.dispose([...dz, ...z]);
      const [dc3, dcd] = g3.dx as tf.Tensor4D[][];
      accumulate(grads, `${b.prefix}.bn3.weight`, g3.dGamma[0]);
      accumulate(grads, `${b.prefix}.bn3.bias`, g3.dBeta[0]);
      accumulate(grads, `${b.prefix}.downsample.1.weight`, g3.dGamma[1]);
      accumulate(grads, `${b.prefix}.downsample.1.bias`, g3.dBeta[1]);
      const dShape = downConv.shape;
      dcd.forEach((d, k) =>
        accumulate(grads, `${b.prefix}.downsample.0.weight`, conv2dGradFilter(xs[k], d, dShape, 'same')),
      );
      let dx: tf.Tensor4D[] | null = needInputGrad
        ? dcd.map((d, k) => conv2dGradInput(d, downConv, xs[k].shape, 'same'))
        : null;
      tf.dispose(dcd);
      // conv3 -> bn2 -> conv2 -> bn1 -> conv1, whose inputs are z2, z1 and x.
      let dc = dc3;
      for (let j = 2; j >= 0; j--) {
        const input = j > 0 ? recompute(caches[j - 1]) : xs;
        dc.forEach((d, k) =>
          accumulate(
            grads,
            `${b.prefix}.conv${j + 1}.weight`,
            conv2dGradFilter(input[k], d, w[j].shape, 'same'),
          ),
        );
        if (j === 0) {
          if (dx) {
            dx = dx.map((prev, k) => {
              const d = conv2dGradInput(dc[k], w[0], xs[k].shape, 'same');
              const sum = tf.add(prev, d) as tf.Tensor4D;
              tf.dispose([prev, d]);
              return sum;
            });
          }
          tf.dispose(dc);
          break;
        }
        const dzs = dc.map((d, k) => conv2dGradInput(d, w[j], input[k].shape, 'same'));
        tf.dispose(dc);
        const g = chunkedBatchNormBackward(dzs, caches[j - 1], opts, input);
        tf.dispose([...dzs, ...input]);
        accumulate(grads, `${b.prefix}.bn${j}.weight`, g.dGamma[0]);
        accumulate(grads, `${b.prefix}.bn${j}.bias`, g.dBeta[0]);
        dc = g.dx[0] as tf.Tensor4D[];
      }
      return dx;
    },
  };
}
