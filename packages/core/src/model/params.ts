/**
 * Named model state. Trainable parameters and BatchNorm running statistics are tf.Variables keyed by their
 * PyTorch module path (`encoder.layer1.0.weight`), the canonical names everywhere (gradients, checkpoints,
 * reference import). Values are stored in TensorFlow.js layout (conv kernels [kh, kw, in, out]).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorData, WeightMap } from '../backend/browser.js';

export type { TensorData, WeightMap };

let storeCounter = 0;

/** FNV-1a, so that a parameter's initial values depend on the seed and its name, not on creation order. */
function hashName(name: string, seed: number): number {
  let h = 0x811c9dc5 ^ (seed | 0);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % 2147483647;
}

export class ParamStore {
  /** Trainable parameters, in creation order. */
  readonly params = new Map<string, tf.Variable>();
  /** Non-trainable state (BatchNorm running statistics). */
  readonly buffers = new Map<string, tf.Variable>();
  // TF.js variable names are global to the engine; the prefix lets several models coexist.
  private readonly prefix = `rcn${storeCounter++}`;

  constructor(private readonly seed: number) {}

  private make(name: string, init: tf.Tensor, trainable: boolean): tf.Variable {
    if (this.params.has(name) || this.buffers.has(name))
      throw new Error(`duplicate parameter name '${name}'`);
    const v = tf.variable(init, trainable, `${this.prefix}/${name}`);
    init.dispose();
    (trainable ? this.params : this.buffers).set(name, v);
    return v;
  }

  /** He-normal (fan-out) initialised conv kernel [kh, kw, in, out], as the reference backbones use. */
  conv(name: string, kh: number, kw: number, inC: number, outC: number): tf.Variable {
    const std = Math.sqrt(2 / (kh * kw * outC));
    return this.make(
      name,
      tf.randomNormal([kh, kw, inC, outC], 0, std, 'float32', hashName(name, this.seed)),
      true,
    );
  }

  constant(name: string, shape: number[], value: number, trainable = true): tf.Variable {
    return this.make(name, tf.fill(shape, value), trainable);
  }

  /** The variable with this canonical name (parameter or buffer); throws when absent. */
  get(name: string): tf.Variable {
    const v = this.params.get(name) ?? this.buffers.get(name);
    if (!v) throw new Error(`no parameter or buffer named '${name}'`);
    return v;
  }

  has(name: string): boolean {
    return this.params.has(name) || this.buffers.has(name);
  }

  /** All state, parameters first, each in creation order. */
  entries(): [string, tf.Variable][] {
    return [...this.params.entries(), ...this.buffers.entries()];
  }

  /** Copies every value out (synchronously; the backends used here are CPU ones). */
  getWeights(): WeightMap {
    const out: WeightMap = new Map();
    for (const [name, v] of this.entries())
      out.set(name, { shape: [...v.shape], data: (v.dataSync() as Float32Array).slice() });
    return out;
  }

  /**
   * Assigns values by canonical name. Every name must exist with the same shape; with `partial` false
   * (the default) every parameter and buffer must be given.
   */
  setWeights(weights: WeightMap, partial = false): void {
    for (const [name, t] of weights) {
      const v = this.params.get(name) ?? this.buffers.get(name);
      if (!v) throw new Error(`setWeights: unknown parameter '${name}'`);
      if (!tf.util.arraysEqual(v.shape, t.shape)) {
        throw new Error(
          `setWeights: '${name}' has shape [${t.shape.join(', ')}], the model expects [${v.shape.join(', ')}]`,
        );
      }
      if (t.data.length !== tf.util.sizeFromShape(t.shape))
        throw new Error(`setWeights: '${name}' data length does not match its shape`);
    }
    if (!partial) {
      const missing = this.entries()
        .map(([n]) => n)
        .filter((n) => !weights.has(n));
      if (missing.length)
        throw new Error(`setWeights: missing ${missing.length} tensors: ${missing.join(', ')}`);
    }
    for (const [name, t] of weights) {
      const value = tf.tensor(t.data, t.shape, 'float32');
      this.get(name).assign(value);
      value.dispose();
    }
  }

  dispose(): void {
    for (const [, v] of this.entries()) v.dispose();
    this.params.clear();
    this.buffers.clear();
  }
}
