/**
 * Gradient-norm clipping per module, as `torch.nn.utils.clip_grad_norm_` on each module's parameters: the
 * reference clips the backbone and the region-weight network separately at 0.5.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The module a parameter belongs to: the first component of its canonical name (`encoder`, `head`). */
export function moduleOf(name: string): string {
  return name.split('.')[0];
}

/**
 * Scales each module's gradients in place so that its global L2 norm is at most `maxNorm` (0: no clipping);
 * returns the norms before clipping (NaN or Infinity when a gradient is not finite).
 */
export async function clipGradNormPerModule(
  grads: Map<string, tf.Tensor>,
  maxNorm: number,
): Promise<Map<string, number>> {
  const groups = new Map<string, string[]>();
  for (const name of grads.keys()) {
    const m = moduleOf(name);
    groups.set(m, [...(groups.get(m) ?? []), name]);
  }
  const norms = new Map<string, number>();
  for (const [mod, names] of groups) {
    // An asynchronous read: the webgpu backend cannot read synchronously under Node.
    // Chained adds, not addN: webgpu binds every addN input as its own storage buffer (8 per shader stage).
    const sqT = tf.tidy(() =>
      names.map((n) => tf.sum(tf.square(grads.get(n)!))).reduce((a, b) => tf.add(a, b)),
    );
    const sq = (await sqT.data())[0];
    sqT.dispose();
    const norm = Math.sqrt(sq);
    norms.set(mod, norm);
    const coef = maxNorm / (norm + 1e-6);
    if (maxNorm > 0 && coef < 1) {
      for (const n of names) {
        const g = grads.get(n)!;
        grads.set(n, tf.mul(g, coef));
        g.dispose();
      }
    }
  }
  return norms;
}
