/**
 * What one episode needs in memory, estimated from the backbone's shapes before anything is allocated, so
 * that a configuration that cannot fit (512 px, 200-way, 19 queries: thousands of large images) is refused
 * with the estimate instead of growing for minutes towards an out-of-memory error.
 *
 * The estimate is deliberately a lower bound: the input batch plus `factor` x the backbone's layer outputs
 * (float32). The factor was fitted below the peaks `pnpm bench` measured on wasm (Conv4 84 px 80 images:
 * 493 MiB, ResNet-12 84 px 80 images: 2,171 MiB, where layer outputs are 175 and 1,146 MiB), so a
 * configuration refused is one that certainly does not fit; one accepted may still come close.
 */
import type { ModelConfig } from './config.js';

/** Bytes of one float32. */
const F32 = 4;
/**
 * A training step keeps each layer's output (and BatchNorm's normalised copy) for the hand-scheduled
 * backward pass, then builds gradients of the same size: measured peaks are 1.9-2.8x the layer outputs.
 */
const TRAINING_FACTOR = 1.8;
/** A forward pass alone holds about two layers' outputs at a time. */
const INFERENCE_LAYERS = 2;

/** Elements of each backbone layer's output for one image, in order. */
export function layerOutputElements(cfg: Pick<ModelConfig, 'backbone' | 'imageSize' | 'widths'>): number[] {
  const out: number[] = [];
  let s = cfg.imageSize;
  if (cfg.backbone === 'conv4') {
    // 3x3 valid conv then 2x2 pool, twice; the last two convs keep the size.
    for (let i = 0; i < 4; i++) {
      if (i < 2) s -= 2;
      out.push(s * s * cfg.widths[i]);
      if (i < 2) s = Math.floor(s / 2);
    }
  } else {
    // Each residual stage: three 3x3 convs and the 1x1 shortcut at the stage's input size, then a pool.
    for (let i = 0; i < 4; i++) {
      for (let k = 0; k < 4; k++) out.push(s * s * cfg.widths[i]);
      s = Math.floor(s / 2);
    }
  }
  return out;
}

/**
 * A lower bound on the bytes one episode of `images` images needs on the backend: a training step (forward
 * and backward) or a forward pass (validation, evaluation).
 */
export function episodeMemoryBytes(
  cfg: Pick<ModelConfig, 'backbone' | 'imageSize' | 'widths'>,
  images: number,
  mode: 'train' | 'infer',
): number {
  const layers = layerOutputElements(cfg);
  const input = cfg.imageSize * cfg.imageSize * 3;
  const held =
    mode === 'train'
      ? TRAINING_FACTOR * layers.reduce((a, b) => a + b, 0)
      : [...layers]
          .sort((a, b) => b - a)
          .slice(0, INFERENCE_LAYERS)
          .reduce((a, b) => a + b, 0);
  return images * (input + held) * F32;
}
