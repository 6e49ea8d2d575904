/** Worker tasks for the out-of-memory test: each runs in its own wasm instance, which it may exhaust. */
import * as tf from '@tensorflow/tfjs-core';

function describe(e: unknown): { name: string; message: string } {
  return e instanceof Error ? { name: e.name, message: e.message } : { name: 'unknown', message: String(e) };
}

export const tasks = {
  /** Two 2.2 GiB tensors: each is a valid JS array, but both cannot fit in the 4 GiB heap. */
  hugeTensor: () => {
    const held: tf.Tensor[] = [];
    try {
      for (let i = 0; i < 2; i++) held.push(tf.zeros([550_000_000]));
      return { threw: false };
    } catch (e) {
      return { threw: true, ...describe(e) };
    } finally {
      tf.dispose(held);
    }
  },
  /** Fills the heap with 256 MiB tensors, frees one slot's worth minus a margin, then asks XNNPACK for a conv. */
  convAfterFill: () => {
    const held: tf.Tensor[] = [];
    let fillError: { name: string; message: string } | null = null;
    try {
      for (let i = 0; i < 64; i++) held.push(tf.zeros([64 * 2 ** 20]));
    } catch (e) {
      fillError = describe(e);
    }
    try {
      // A conv whose output and packing need more than what is left.
      const x = tf.ones([8, 64, 64, 64]) as tf.Tensor4D;
      const w = tf.ones([3, 3, 64, 64]) as tf.Tensor4D;
      const y = tf.conv2d(x, w, 1, 'same').dataSync();
      // Every output is 64 x (in-bounds taps): 256 at corners, 384 on edges, 576 inside.
      let wrong = 0;
      for (let b = 0; b < 8; b++)
        for (let i = 0; i < 64; i++)
          for (let j = 0; j < 64; j++) {
            const taps = (i === 0 || i === 63 ? 2 : 3) * (j === 0 || j === 63 ? 2 : 3);
            for (let c = 0; c < 64; c++) if (y[((b * 64 + i) * 64 + j) * 64 + c] !== taps * 64) wrong++;
          }
      return { fillError, threw: false, wrong };
    } catch (e) {
      return { fillError, threw: true, ...describe(e) };
    } finally {
      tf.dispose(held);
    }
  },
};
