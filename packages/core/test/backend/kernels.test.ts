/**
 * Every kernel registered on wasm, checked against the cpu backend (relative error <= 1e-4, measured as
 * max|wasm - cpu| / max|cpu| over the tensor) on several shapes, the RCN's among them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import {
  BATCH_NORM_ACT_BACKWARD,
  BATCH_NORM_ACT_FORWARD,
  BATCH_NORM_ACT_OUTPUT,
  initBackend,
} from '../../src/backend/index.js';
import { setComputeOptions } from '../../src/backend/compute-options.js';
import { prepareSimdKernels, simdReady, simdVariant } from '../../src/backend/kernels/simd.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { WASM_TRAINING_KERNELS } from '../../src/backend/kernels/index.js';
import {
  batchNormBackward,
  batchNormForward,
  batchNormOutput,
  batchNormPoolBackward,
  batchNormPoolForward,
  disposeCache,
  type Activation,
  type BatchNormCache,
  type BatchNormLayer,
  type BatchNormOptions,
} from '../../src/model/backward/batchnorm.js';
import { relErr } from '../helpers/rel-err.js';

type Case = () => tf.Tensor | tf.Tensor[];

type Result = { data: Float32Array | Int32Array | Uint8Array; shape: number[] }[];

async function runOn(backend: string, f: Case): Promise<Result> {
  await tf.setBackend(backend);
  const out = tf.tidy(f);
  const list = Array.isArray(out) ? out : [out];
  const r = list.map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape }));
  tf.dispose(list);
  return r;
}

function worstError(got: Result, ref: Result): number {
  let worst = 0;
  ref.forEach((r, i) => {
    expect(got[i].shape).toEqual(r.shape);
    worst = Math.max(worst, relErr(got[i].data, r.data));
  });
  return worst;
}

/** Runs `f` on both backends with the same seeded inputs and returns the worst relative error. */
async function compare(f: Case): Promise<number> {
  const ref = await runOn('cpu', f);
  return worstError(await runOn('wasm', f), ref);
}

const rnd = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  pad: 'valid' | 'same' | number;
}

const convCases: ConvCase[] = [
  {
    name: 'Conv4 layer 1 at 84 (3->64, valid)',
    x: [2, 84, 84, 3],
    f: [3, 3, 3, 64],
    stride: 1,
    pad: 'valid',
  },
  { name: 'Conv4 layer 2 at 84 (valid)', x: [1, 41, 41, 64], f: [3, 3, 64, 64], stride: 1, pad: 'valid' },
  { name: 'Conv4 layers 3-4 at 84 (same)', x: [3, 19, 19, 64], f: [3, 3, 64, 64], stride: 1, pad: 'same' },
  { name: 'Conv4 layer 2 at 32 (valid)', x: [4, 15, 15, 64], f: [3, 3, 64, 64], stride: 1, pad: 'valid' },
  { name: 'ResNet-12 shortcut 1x1', x: [2, 21, 21, 64], f: [1, 1, 64, 160], stride: 1, pad: 'valid' },
  { name: 'ResNet-12 3x3 same, wide', x: [1, 10, 10, 160], f: [3, 3, 160, 320], stride: 1, pad: 'same' },
  { name: 'stride 2, same', x: [2, 17, 17, 8], f: [3, 3, 8, 16], stride: 2, pad: 'same' },
  { name: 'stride 2, valid, even size', x: [2, 16, 16, 8], f: [3, 3, 8, 16], stride: 2, pad: 'valid' },
  { name: '5x5, explicit pad 1', x: [2, 12, 12, 4], f: [5, 5, 4, 6], stride: 1, pad: 1 },
  { name: '5x5, stride 2, pad 2', x: [2, 13, 11, 4], f: [5, 5, 4, 6], stride: 2, pad: 2 },
  // Our conv kernel's edges: rows of 4-pixel tiles plus a rest, asymmetric padding, padding wider than
  // the taps (whole output rows and columns read only padding).
  { name: '3x3 same, rows of 5 and 7', x: [2, 7, 5, 16], f: [3, 3, 16, 8], stride: 1, pad: 'same' },
  {
    name: '2x2 same (padding at the far side only)',
    x: [2, 6, 7, 5],
    f: [2, 2, 5, 8],
    stride: 1,
    pad: 'same',
  },
  { name: '3x3, pad 3 (borders of padding only)', x: [1, 4, 3, 8], f: [3, 3, 8, 16], stride: 1, pad: 3 },
  { name: '1x3 taps, 3x1 map', x: [3, 3, 1, 4], f: [1, 3, 4, 8], stride: 1, pad: 'same' },
  // Channels padded to a multiple of 4 for Winograd (as an RGB first layer's 3 to 4).
  { name: '3x3 same over 5 channels', x: [2, 9, 7, 5], f: [3, 3, 5, 8], stride: 1, pad: 'same' },
];

describe('wasm training kernels against the cpu backend', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('registers every kernel the RCN needs to train on wasm, and loads our SIMD module', async () => {
    for (const name of WASM_TRAINING_KERNELS) expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
    await tf.setBackend('wasm');
    expect(simdReady(tf.backend())).toBe(true);
  });

  // Stride-1 convs with a multiple of 8 output channels take our SIMD kernels (forward, input and weight
  // gradients; 3x3 filters over a multiple of 4 input channels by Winograd), in both builds of the module:
  // relaxed (fused multiply-add) where the engine has it, and baseline. Both Winograd tiles, F(2x2, 3x3)
  // and F(4x4, 3x3), are forced on every case (the automatic choice picks one by map size), the direct
  // kernel in place of Winograd and, for the small cases, XNNPACK are checked too. The cpu reference is
  // computed once per case.
  type Route = 'relaxed' | 'baseline' | 'F(2x2)' | 'F(4x4)' | 'direct' | 'xnnpack';
  const routes = (c: ConvCase): Route[] =>
    c.stride === 1 && c.f[3] % 8 === 0
      ? c.x[1] <= 17
        ? ['relaxed', 'baseline', 'F(2x2)', 'F(4x4)', 'direct', 'xnnpack']
        : ['relaxed', 'baseline', 'F(2x2)', 'F(4x4)', 'direct']
      : ['xnnpack'];
  async function useRoute(route: Route): Promise<void> {
    await tf.setBackend('wasm');
    const simd = route !== 'xnnpack';
    setComputeOptions({
      convFilter: { simd },
      conv: {
        simd,
        winograd: route !== 'direct',
        winogradTile: route === 'F(2x2)' ? 2 : route === 'F(4x4)' ? 4 : 'auto',
      },
    });
    await prepareSimdKernels(tf.backend() as BackendWasm, { relaxed: route !== 'baseline' });
  }
  for (const c of convCases)
    it(`conv2d and its gradients (Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput; ${routes(c).join(', ')}): ${c.name}`, async () => {
      const f = () => {
        const x = rnd(c.x, 1);
        const w = rnd(c.f, 2).mul(0.1);
        const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf
            .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad)
            .square()
            .sum(),
        );
        return [y, ...g([x, w])];
      };
      const ref = await runOn('cpu', f);
      try {
        for (const route of routes(c)) {
          await useRoute(route);
          if (route === 'relaxed' || route === 'baseline') expect(simdVariant(tf.backend())).toBe(route);
          const err = worstError(await runOn('wasm', f), ref);
          expect(err, route).toBeLessThanOrEqual(1e-4);
        }
      } finally {
        await useRoute('relaxed');
      }
    });

  for (const c of convCases.filter((k) => k.f[2] >= 4 && k.x[1] <= 17)) {
    it(`Conv2DBackpropFilter cut into row bands (as for large maps): ${c.name}`, async () => {
      // Tiny bands, so that small test shapes take the banded path (several bands, a ragged last one).
      const saved = setComputeOptions({ convFilter: { simd: false, bandFloats: 1000, minBandChannels: 1 } });
      try {
        const err = await compare(() => {
          const g = tf.grad((w: tf.Tensor) =>
            tf
              .conv2d(rnd(c.x, 1) as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad)
              .square()
              .sum(),
          );
          return g(rnd(c.f, 2).mul(0.1));
        });
        expect(err).toBeLessThanOrEqual(1e-4);
      } finally {
        setComputeOptions(saved);
      }
    });
  }

  it('conv2d with bias: the bias gradient is a leading-axes Sum', async () => {
    const err = await compare(() => {
      const g = tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
        tf
          .add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), b)
          .square()
          .mean(),
      );
      return g([rnd([3, 9, 9, 64], 3), rnd([3, 3, 64, 64], 4).mul(0.1), rnd([64], 5)]);
    });
    expect(err).toBeLessThanOrEqual(1e-4);
  });

  for (const [name, shape, size, stride, pad] of [
    ['2x2/2 on Conv4 layer-1 output at 84', [2, 82, 82, 64], 2, 2, 'valid'],
    ['2x2/2 on an odd map (floor)', [2, 39, 39, 64], 2, 2, 'valid'],
    ['3x3/2 same (overlapping windows)', [2, 11, 11, 5], 3, 2, 'same'],
    ['2x2/2 after ReLU (ties at zero)', [2, 10, 10, 16], 2, 2, 'valid'],
  ] as [string, number[], number, number, 'valid' | 'same'][]) {
    it(`MaxPoolGrad: ${name}`, async () => {
      const err = await compare(() => {
        const relu = name.includes('ReLU');
        const g = tf.grad((x: tf.Tensor) => {
          const y = relu ? tf.relu(x) : x;
          return tf
            .maxPool(y as tf.Tensor4D, size, stride, pad)
            .mul(rnd([1], 9))
            .square()
            .sum();
        });
        return g(rnd(shape, 6));
      });
      expect(err).toBeLessThanOrEqual(1e-4);
    });
  }

  it('MaxPoolGrad routes a tie to the first maximum only, like the cpu backend', async () => {
    const err = await compare(() => {
      const x = tf.tensor4d([1, 3, 3, 2, 5, 5, 5, 0], [1, 2, 4, 1]);
      return tf.grad((t: tf.Tensor) => tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid').sum())(x);
    });
    expect(err).toBe(0);
  });

  for (const [axes, shape] of [
    [
      [0, 1, 2],
      [4, 19, 19, 64],
    ],
    [[0], [7, 33]],
    [
      [0, 1],
      [5, 6, 7],
    ],
    [
      [1, 2],
      [5, 6, 7],
    ],
    [[2], [5, 6, 7]],
    [
      [0, 2],
      [5, 6, 7],
    ],
    // Middle axes (our kernel, per outer slab): the head's pair-broadcast gradient sums over supports.
    [[1], [5, 6, 7]],
    [[1], [75, 5, 1600]],
    [
      [1, 2],
      [3, 4, 5, 6],
    ],
    [[1], [2, 1, 3]],
  ] as [number[], number[]][]) {
    it(`Sum and Mean over axes ${JSON.stringify(axes)} of ${JSON.stringify(shape)}`, async () => {
      const err = await compare(() => {
        const x = rnd(shape, 7);
        return [tf.sum(x, axes), tf.mean(x, axes), tf.sum(x, axes, true), tf.mean(x, axes, true)];
      });
      expect(err).toBeLessThanOrEqual(1e-4);
    });
  }

  it('Sum keeps int32 on the stock path', async () => {
    const err = await compare(() => tf.sum(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], 'int32'), [0]));
    expect(err).toBe(0);
  });

  for (const [shape, reps] of [
    [
      [1, 1, 1, 64],
      [4, 19, 19, 1],
    ],
    [
      [3, 5],
      [2, 3],
    ],
    [
      [2, 1, 3],
      [1, 4, 1],
    ],
  ] as [number[], number[]][]) {
    it(`Tile ${JSON.stringify(shape)} x ${JSON.stringify(reps)}, and its use in batchNorm's gradient`, async () => {
      const err = await compare(() => {
        const x = rnd(shape, 8);
        const out: tf.Tensor[] = [tf.tile(x, reps)];
        if (shape.length === 4) {
          const g = tf.grads((v: tf.Tensor, m: tf.Tensor, s: tf.Tensor, o: tf.Tensor, sc: tf.Tensor) =>
            tf
              .batchNorm(
                v as tf.Tensor4D,
                m as tf.Tensor1D,
                s.square().add(1) as tf.Tensor1D,
                o as tf.Tensor1D,
                sc as tf.Tensor1D,
              )
              .square()
              .sum(),
          );
          out.push(
            ...g([rnd([4, 5, 5, 64], 10), rnd([64], 11), rnd([64], 12), rnd([64], 15), rnd([64], 16)]),
          );
        }
        return out;
      });
      expect(err).toBeLessThanOrEqual(1e-4);
    });
  }

  // Unbatched products take our SIMD GEMM (columns padded to whole 8-wide strips: 125, 300, 1 and 13
  // columns are partial, 64 whole), batched ones the stock kernel.
  for (const [aShape, bShape, ta, tb] of [
    [[125, 64], [64, 125], false, false],
    [[125, 64], [64, 64], false, false],
    [[300, 64], [64, 1], false, false],
    [[300, 64], [300, 1], true, false],
    [[1, 7, 9], [1, 13, 9], false, true],
    [[64, 125], [64, 300], true, false],
    [[125, 64], [300, 64], false, true],
    [[64, 125], [300, 64], true, true],
    [[6, 25, 64], [6, 25, 64], false, true],
    [[6, 64, 25], [6, 64, 25], true, false],
  ] as [number[], number[], boolean, boolean][]) {
    it(`BatchMatMul ${JSON.stringify(aShape)}${ta ? 'ᵀ' : ''} x ${JSON.stringify(bShape)}${tb ? 'ᵀ' : ''}, and its gradients`, async () => {
      const err = await compare(() => {
        const a = rnd(aShape, 13);
        const b = rnd(bShape, 14);
        const g = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q, ta, tb).square().sum());
        return [tf.matMul(a, b, ta, tb), ...g([a, b])];
      });
      expect(err).toBeLessThanOrEqual(1e-4);
    });
  }

  /**
   * The fused BatchNorm + activation (+ pool) kernels through model/batchnorm.ts: on cpu the composite of tf
   * ops runs, on wasm the fused kernels; forward output, cache, running statistics and every gradient agree.
   * With two inputs, their BatchNorms are summed before the activation (ResNet-12's residual tail).
   */
  const bnCase =
    (shape: number[], activation: Activation, pool: boolean, seed: number, inputs = 1) =>
    (): tf.Tensor[] => {
      const c = shape[shape.length - 1];
      const opts: BatchNormOptions = {
        batchStats: true,
        updateStats: true,
        momentum: 0.1,
        eps: 1e-5,
        activation,
        slope: 0.1,
      };
      const layers: BatchNormLayer[] = [];
      const list = Array.from({ length: inputs }, (_, i) => {
        const s = seed + 10 * i;
        const bn: BatchNormLayer = {
          name: `bn${i}`,
          gamma: tf.variable(tf.add(rnd([c], s + 1), 1)),
          beta: tf.variable(rnd([c], s + 2)),
          runningMean: tf.variable(rnd([c], s + 3)),
          runningVar: tf.variable(tf.add(tf.abs(rnd([c], s + 4)), 0.5)),
        };
        layers.push(bn);
        // Shifted and scaled like a conv output.
        const x = tf.add(tf.mul(rnd(shape, s), 3 - i), 0.5 * (i + 1));
        return { x, bn, preBias: rnd([c], s + 5) as tf.Tensor1D };
      });
      let out: tf.Tensor;
      let cache: BatchNormCache | null;
      if (pool) ({ out, cache } = batchNormPoolForward(list, opts, true));
      else ({ out, cache } = batchNormForward(list, opts, true));
      if (!cache) throw new Error('no cache');
      const dy = rnd(out.shape, seed + 6);
      const g = pool
        ? batchNormPoolBackward(dy as tf.Tensor4D, cache, opts, out as tf.Tensor4D)
        : batchNormBackward(dy, cache, opts);
      // The output recomputed from the cache (as ResNet-12's backward pass does), before any pool.
      const recomputed = batchNormOutput(cache, opts);
      const kept = [
        recomputed,
        ...cache.xhats.map((t) => tf.clone(t)),
        ...cache.rstds.map((t) => tf.clone(t)),
        ...layers.flatMap((bn) => [tf.clone(bn.runningMean), tf.clone(bn.runningVar)]),
      ];
      disposeCache(cache);
      tf.dispose(layers.flatMap((bn) => [bn.gamma, bn.beta, bn.runningMean, bn.runningVar]));
      return [out, ...kept, ...g.dx, ...g.dGamma, ...g.dBeta];
    };

  for (const [shape, activation, pool, inputs] of [
    [[2, 9, 7, 64], 'relu', true, 1],
    [[3, 8, 6, 16], 'relu', true, 1],
    [[2, 6, 6, 8], 'leaky', true, 1],
    [[2, 5, 5, 64], 'relu', false, 1],
    [[3, 4, 4, 16], 'leaky', false, 1],
    [[7, 12], 'none', false, 1],
    // ResNet-12's residual tail: odd rows and columns that no window reads, then even ones.
    [[2, 9, 7, 64], 'leaky', true, 2],
    [[3, 8, 6, 16], 'leaky', true, 2],
    [[2, 5, 6, 8], 'relu', true, 2],
  ] as [number[], Activation, boolean, number][]) {
    const what = `${inputs === 2 ? 'sum of two BatchNorms' : 'BatchNorm'} ${activation}`;
    it(`fused ${what}${pool ? ' + 2x2 max-pool' : ''} ${JSON.stringify(shape)}: forward and backward`, async () => {
      const f = bnCase(shape, activation, pool, 21, inputs);
      expect(await compare(f)).toBeLessThanOrEqual(1e-4);
      // The fused kernels did run on wasm (else this compared the composite with itself), and leak nothing.
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const p = await tf.profile(() => tf.dispose(tf.tidy(f)));
      expect(p.kernelNames).toContain(BATCH_NORM_ACT_FORWARD);
      expect(p.kernelNames).toContain(BATCH_NORM_ACT_BACKWARD);
      if (inputs === 1) expect(p.kernelNames).toContain(BATCH_NORM_ACT_OUTPUT);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('BatchNorm with a channel count the SIMD kernels cannot take (10) runs the composite on wasm', async () => {
    const f = bnCase([3, 4, 4, 10], 'relu', true, 31);
    expect(await compare(f)).toBeLessThanOrEqual(1e-4);
    await tf.setBackend('wasm');
    const p = await tf.profile(() => tf.dispose(tf.tidy(f)));
    expect(p.kernelNames).not.toContain(BATCH_NORM_ACT_FORWARD);
    expect(p.kernelNames).not.toContain(BATCH_NORM_ACT_BACKWARD);
    expect(p.kernelNames).not.toContain(BATCH_NORM_ACT_OUTPUT);
  });
});
