/**
 * Turning a feature map into regions. Adaptive average pooling is linear, so it is one fixed matrix:
 * regions [B, R, C] = P [R, H*W] applied to the map [B, H*W, C], one matMul.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RegionGrid } from '../config.js';

/** PyTorch's adaptive-pool bins along one axis: bin i covers [floor(i*n/g), ceil((i+1)*n/g)); bins overlap. */
export function adaptiveBins(inSize: number, outSize: number): [number, number][] {
  const bins: [number, number][] = [];
  for (let i = 0; i < outSize; i++) {
    bins.push([Math.floor((i * inSize) / outSize), Math.ceil(((i + 1) * inSize) / outSize)]);
  }
  return bins;
}

/**
 * The pooling matrix, transposed: [H*W, G*G], column r = row-major region (i, j) averaging its bin.
 * Transposed so that the forward pass multiplies without transpose flags.
 */
export function adaptivePoolMatrixT(h: number, w: number, g: number): Float32Array {
  const rows = adaptiveBins(h, g);
  const cols = adaptiveBins(w, g);
  const r = g * g;
  const m = new Float32Array(h * w * r);
  for (let i = 0; i < g; i++) {
    for (let j = 0; j < g; j++) {
      const [y0, y1] = rows[i];
      const [x0, x1] = cols[j];
      const inv = 1 / ((y1 - y0) * (x1 - x0));
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[(y * w + x) * r + i * g + j] = inv;
    }
  }
  return m;
}

/** Maps a backbone output [B, H, W, C] to regions [B, R, C], row-major over the grid. */
export class RegionPooler {
  private readonly poolT: tf.Tensor2D | null;
  readonly regions: number;

  constructor(
    readonly grid: RegionGrid,
    private readonly h: number,
    private readonly w: number,
  ) {
    if (grid === 'none') {
      this.poolT = null;
      this.regions = h * w;
    } else if (grid === 'global') {
      this.poolT = null;
      this.regions = 1;
    } else {
      // Kept: the pooler is cached by the model and first built inside a training step's tidy scope.
      this.poolT = tf.keep(tf.tensor2d(adaptivePoolMatrixT(h, w, grid), [h * w, grid * grid]));
      this.regions = grid * grid;
    }
  }

  apply(features: tf.Tensor4D): tf.Tensor3D {
    const [b, h, w, c] = features.shape;
    if (h !== this.h || w !== this.w)
      throw new Error(`region grid: expected a ${this.h}x${this.w} feature map, got ${h}x${w}`);
    return tf.tidy(() => {
      if (this.grid === 'none') return tf.reshape(features, [b, h * w, c]) as tf.Tensor3D;
      if (this.grid === 'global') return tf.mean(tf.reshape(features, [b, 1, h * w, c]), 2) as tf.Tensor3D;
      // [B, HW, C] -> [B*C, HW] so that the pool is a plain [B*C, HW] x [HW, R] product.
      const byChannel = tf.reshape(tf.transpose(tf.reshape(features, [b, h * w, c]), [0, 2, 1]), [
        b * c,
        h * w,
      ]);
      const pooled = tf.matMul(byChannel, this.poolT as tf.Tensor2D);
      return tf.transpose(tf.reshape(pooled, [b, c, this.regions]), [0, 2, 1]) as tf.Tensor3D;
    });
  }

  dispose(): void {
    this.poolT?.dispose();
  }
}
