/**
 * Chunked backbone passes (model/backbones/chunking.ts) equal unchunked ones: a training step with a forced small
 * chunk budget (uneven chunks, down to one image) gives the same loss, every gradient and the same running
 * statistics as the whole pass, on Conv4 and on ResNet-12 with DropBlock; inference too; nothing leaks.
 * On webgpu the budget is the device's buffer limit (test/backend/webgpu.test.ts covers that).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../../src/backend/index.js';
import { RCN, disposeOutput, type ModelConfigInput } from '../../src/model/index.js';
import { disposeBatch, syntheticBatch } from '../../src/model/synthetic.js';
import { relErr } from '../helpers/rel-err.js';

const BACKEND = (process.env.RCN_TEST_BACKEND ?? 'wasm') as BackendName;

beforeAll(async () => {
  await initBackend(BACKEND);
});
afterEach(() => {
  delete process.env.RCN_CHUNK_BYTES;
});

interface Step {
  loss: number;
  grads: Map<string, Float32Array>;
  /** Every parameter and buffer after the step (running statistics included). */
  weights: Map<string, Float32Array>;
  leaked: number;
  /** The largest batch of any Conv2D the step ran. */
  convBatch: number;
}

async function step(cfg: ModelConfigInput, size: number, chunkBytes?: number): Promise<Step> {
  const model = new RCN(cfg);
  const batch = syntheticBatch(size, 3, 2, 3);
  // A first step (on a copy of the weights) builds lazily cached constants; the second is measured.
  const initial = model.getWeights();
  const first = model.computeGradients(batch, { chunkBytes });
  tf.dispose([first.loss, ...first.grads.values()]);
  model.setWeights(initial);
  const before = tf.memory().numTensors;
  let r: ReturnType<RCN['computeGradients']> | null = null;
  const prof = await tf.profile(() => {
    r = model.computeGradients(batch, { chunkBytes });
    return [];
  });
  const res = r as unknown as ReturnType<RCN['computeGradients']>;
  const convBatch = Math.max(
    ...prof.kernels.filter((k) => k.name === 'Conv2D').map((k) => k.outputShapes[0]?.[0] ?? 0),
  );
  const loss = (await res.loss.data())[0];
  const grads = new Map<string, Float32Array>();
  for (const [n, t] of res.grads) grads.set(n, (await t.data()) as Float32Array);
  tf.dispose([res.loss, ...res.grads.values()]);
  const leaked = tf.memory().numTensors - before;
  const weights = new Map([...model.getWeights()].map(([n, t]) => [n, t.data]));
  disposeBatch(batch);
  model.dispose();
  return { loss, grads, weights, leaked, convBatch };
}

const CASES: [string, ModelConfigInput, number, number][] = [
  // [label, config, image size, largest per-image tensor in bytes (ResNet-12: its padded conv input)]
  ['Conv4', { backbone: 'conv4', imageSize: 20, widths: [8, 8, 8, 8], seed: 3 }, 20, 18 * 18 * 8 * 4],
  [
    'ResNet-12 with DropBlock',
    {
      backbone: 'resnet12',
      imageSize: 16,
      widths: [4, 6, 8, 10],
      seed: 4,
      dropBlock: { rate: 0.2, blockSize: 2 },
    },
    16,
    18 * 18 * 4 * 4,
  ],
];

describe('chunked backbone passes', () => {
  for (const [label, cfg, size, perImage] of CASES) {
    it(`a ${label} step in chunks of 2 images equals the whole pass (loss and running statistics 1e-5, gradients 5e-5) and leaks no tensor`, async () => {
      const whole = await step(cfg, size);
      // 6 supports in 3 chunks, 9 queries in 2 + 2 + 2 + 2 + 1.
      const chunked = await step(cfg, size, 2.5 * perImage);
      expect(whole.convBatch).toBe(9);
      expect(chunked.convBatch).toBe(2);
      expect(chunked.leaked).toBe(0);
      expect(Math.abs(chunked.loss - whole.loss) / Math.abs(whole.loss)).toBeLessThanOrEqual(1e-5);
      expect([...chunked.grads.keys()]).toEqual([...whole.grads.keys()]);
      const errs: Record<string, number> = {};
      for (const [name, ref] of whole.grads) errs[name] = relErr(chunked.grads.get(name)!, ref);
      for (const [name, ref] of whole.weights)
        errs[`after step: ${name}`] = relErr(chunked.weights.get(name)!, ref);
      const worst = Object.entries(errs)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([n, e]) => `${n} ${e.toExponential(2)}`);
      console.log(`${label}: worst relative errors chunked vs whole: ${worst.join(', ')}`);
      // Gradients: float32 sums in another order, through the head's cancellations (a one-element bias
      // gradient is a difference of near-equal sums): 5e-5; running statistics: 1e-5.
      for (const [name, e] of Object.entries(errs))
        expect(e, name).toBeLessThanOrEqual(name.startsWith('after step') ? 1e-5 : 5e-5);
      // The running statistics moved (the step updated them), identically.
      const rv = [...whole.weights.keys()].find((n) => n.endsWith('running_var'))!;
      expect(whole.weights.get(rv)!.some((v) => v !== 1)).toBe(true);
    });

    it(`${label} inference in chunks (env RCN_CHUNK_BYTES, one image per chunk) equals the whole pass`, async () => {
      const model = new RCN(cfg);
      const batch = syntheticBatch(size, 3, 2, 3);
      const whole = model.forward(batch, { training: false });
      const ref = (await whole.probs.data()) as Float32Array;
      disposeOutput(whole);
      process.env.RCN_CHUNK_BYTES = String(perImage);
      const before = tf.memory().numTensors;
      const chunked = model.forward(batch, { training: false });
      const got = (await chunked.probs.data()) as Float32Array;
      disposeOutput(chunked);
      expect(tf.memory().numTensors).toBe(before);
      expect(relErr(got, ref)).toBeLessThanOrEqual(1e-5);
      process.env.RCN_CHUNK_BYTES = 'lots';
      expect(() => model.forward(batch, { training: false })).toThrow(/RCN_CHUNK_BYTES must be a positive/);
      disposeBatch(batch);
      model.dispose();
    });
  }
});
