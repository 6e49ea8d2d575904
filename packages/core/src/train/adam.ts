/**
 * Adam with PyTorch's exact update (eps added after the bias-corrected square root, eps = 1e-8), so that a
 * run here follows the reference optimiser. Its whole state (moments, step, learning rate) is exported
 * and restored for exact resume.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WeightMap } from '../model/index.js';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface AdamState {
  step: number;
  lr: number;
  m: WeightMap;
  v: WeightMap;
}

export class Adam {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(opts: AdamOptions) {
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
  }

  private moment(store: Map<string, tf.Variable>, name: string, like: tf.Variable): tf.Variable {
    let s = store.get(name);
    if (!s) {
      // A variable keeps its initial tensor's data but not the tensor object: dispose that.
      const zeros = tf.zerosLike(like);
      s = tf.variable(zeros, false);
      zeros.dispose();
      store.set(name, s);
    }
    return s;
  }

  /** One update of `params` (by name) with `grads` (same names). */
  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>): void {
    this.step += 1;
    const c1 = 1 - this.beta1 ** this.step;
    const c2 = 1 - this.beta2 ** this.step;
    const stepSize = this.lr / c1;
    const sqrtC2 = Math.sqrt(c2);
    for (const [name, p] of params) {
      const g = grads.get(name);
      if (!g) throw new Error(`Adam: no gradient for parameter '${name}'`);
      const m = this.moment(this.m, name, p);
      const v = this.moment(this.v, name, p);
      tf.tidy(() => {
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtC2), this.eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), stepSize)));
      });
    }
  }

  getState(): AdamState {
    const dump = (s: Map<string, tf.Variable>): WeightMap =>
      new Map([...s].map(([k, t]) => [k, { shape: t.shape.slice(), data: t.dataSync() as Float32Array }]));
    return { step: this.step, lr: this.lr, m: dump(this.m), v: dump(this.v) };
  }

  setState(state: AdamState): void {
    this.step = state.step;
    this.lr = state.lr;
    for (const [store, src] of [
      [this.m, state.m],
      [this.v, state.v],
    ] as const) {
      for (const t of store.values()) t.dispose();
      store.clear();
      for (const [k, t] of src) {
        const init = tf.tensor(t.data, t.shape, 'float32');
        store.set(k, tf.variable(init, false));
        init.dispose();
      }
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
