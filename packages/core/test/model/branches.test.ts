/**
 * Branch overrides (model/backward/branches.ts): a listed site takes the given branch, the deferred check accepts it
 * only where our value is a near-tie, nothing leaks, and the golden sites' NCHW indices land on the same
 * elements of our NHWC tensors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import {
  BranchSiteChecks,
  BranchSiteError,
  overrideActivation,
  overrideMaxPoolGrad,
  overrideRegionArgmax,
} from '../../src/model/backward/branches.js';
import { initBackend } from '../../src/backend/index.js';
import { RCN } from '../../src/model/index.js';
import { disposeBatch, syntheticBatch } from '../../src/model/synthetic.js';
import { nchwToNhwc } from './golden-data.js';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('nchwToNhwc', () => {
  it('maps every NCHW element to the NHWC position of the same value', () => {
    const shape: [number, number, number, number] = [2, 3, 4, 5];
    const size = 2 * 3 * 4 * 5;
    const nchw = Float32Array.from({ length: size }, (_, i) => i);
    const nhwc = tf.tidy(() => tf.transpose(tf.tensor4d(nchw, shape), [0, 2, 3, 1]).dataSync());
    for (let i = 0; i < size; i++) expect(nhwc[nchwToNhwc(i, shape)]).toBe(i);
    expect(() => nchwToNhwc(size, shape)).toThrow(/outside/);
  });
});

/**
 * Runs `f` and returns its result's values, checking that it leaves no tensor behind but the result and the
 * values it hands to `checks`.
 */
async function values(f: () => tf.Tensor, checks: BranchSiteChecks): Promise<number[]> {
  const before = tf.memory().numTensors - checks.size;
  const t = f();
  const v = Array.from(await t.data());
  t.dispose();
  expect(tf.memory().numTensors).toBe(before + checks.size);
  return v;
}

describe('activation sites', () => {
  const pre = [0.5, -2e-6, 3e-6, -0.7];
  const low = 0.1;
  /** The override on the LeakyReLU derivative of `pre` (one channel), pre-activations gathered from `pre`. */
  const run = (sites: Parameters<typeof overrideActivation>[2], checks: BranchSiteChecks) =>
    tf.tidy(() => {
      const x = tf.tensor(pre, [1, 2, 2, 1]);
      const mask = tf.step(x, low);
      return overrideActivation(mask, low, sites, 'query encoder.layer1.1', checks, (flat) =>
        tf.gather(tf.reshape(x, [-1]), flat),
      );
    });
  it('sets the listed side at a near-tie, either way, and the check passes', async () => {
    const checks = new BranchSiteChecks();
    const sites = { index: [1, 2], positive: [true, false], tolerance: [1e-5, 1e-5] };
    expect(await values(() => run(sites, checks), checks)).toEqual([
      1,
      1,
      Math.fround(low),
      Math.fround(low),
    ]);
    expect(checks.size).toBe(1);
    const before = tf.memory().numTensors;
    await checks.verify();
    expect(checks.size).toBe(0);
    expect(tf.memory().numTensors).toBe(before - 1);
  });
  it('rejects a site whose pre-activation is no tie, naming the call and index', async () => {
    const checks = new BranchSiteChecks();
    await values(() => run({ index: [3], positive: [true], tolerance: [1e-5] }, checks), checks);
    const err = await checks.verify().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BranchSiteError);
    expect(String(err)).toMatch(/query encoder\.layer1\.1.*index 3/);
    expect(() => run({ index: [4], positive: [true], tolerance: [1] }, checks)).toThrow(/outside/);
    expect(checks.size).toBe(0);
  });
});

describe('max-pool sites', () => {
  // One image 2x4, two channels (NHWC); output 1x2x2.
  const shape = [1, 2, 4, 2] as [number, number, number, number];
  const idx = (y: number, x: number, c: number) => (y * 4 + x) * 2 + c;
  const input = () => {
    const x = new Float32Array(16);
    x[idx(0, 0, 1)] = 1;
    x[idx(1, 1, 1)] = 1 - 1e-7;
    return x;
  };
  /** The override on the kernel's own gradient for dy = [0, 5, 0, 0]. */
  const run = (x: Float32Array, sites: Parameters<typeof overrideMaxPoolGrad>[3], checks: BranchSiteChecks) =>
    tf.tidy(() => {
      const xt = tf.tensor4d(x, shape);
      const dy = tf.tensor4d([0, 5, 0, 0], [1, 1, 2, 2]);
      const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), dy)))(
        xt,
      );
      return overrideMaxPoolGrad(dx as tf.Tensor4D, xt, dy, sites, 'support encoder.layer1.3', checks);
    });
  it('routes the window gradient to the listed winner', async () => {
    const checks = new BranchSiteChecks();
    const sites = { window: [1], winner: [idx(1, 1, 1)], second: [idx(0, 0, 1)], tolerance: [1e-6] };
    const dx = await values(() => run(input(), sites, checks), checks);
    const want = new Array<number>(16).fill(0);
    want[idx(1, 1, 1)] = 5;
    expect(dx).toEqual(want);
    await checks.verify();
  });
  it('rejects a winner outside the window at once, and a window that is no tie in the check', async () => {
    const checks = new BranchSiteChecks();
    const outside = { window: [1], winner: [idx(0, 2, 1)], second: [idx(0, 0, 1)], tolerance: [1] };
    expect(() => run(input(), outside, checks)).toThrow(/not in it/);
    const x = input();
    x[idx(1, 1, 1)] = 0;
    const far = { window: [1], winner: [idx(1, 1, 1)], second: [idx(0, 0, 1)], tolerance: [1e-3] };
    await values(() => run(x, far, checks), checks);
    await expect(checks.verify()).rejects.toThrow(/support encoder\.layer1\.3.*window 1.*no tie/);
  });
});

describe('region-max sites', () => {
  // cos [S=1, R=2, Q=2, Rq=3]; entry (query 1, support 0, region 1) is row (0 * 2 + 1) * 2 + 1 = 3.
  const cos = new Float32Array(12);
  cos.set([0.9, 0.9 - 1e-7, 0.2], 9);
  const run = (sites: Parameters<typeof overrideRegionArgmax>[2], checks: BranchSiteChecks) =>
    tf.tidy(() => {
      const c = tf.tensor4d(cos, [1, 2, 2, 3]);
      return overrideRegionArgmax(tf.argMax(c, -1), c, sites, checks);
    });
  it('takes the listed winner at a tie', async () => {
    const checks = new BranchSiteChecks();
    const site = { query: 1, support: 0, region: 1, winner: 1, second: 0, tolerance: 1e-6 };
    expect(await values(() => run([site], checks), checks)).toEqual([0, 0, 0, 1]);
    await checks.verify();
  });
  it('rejects entries that are no tie or out of range', async () => {
    const checks = new BranchSiteChecks();
    const far = { query: 1, support: 0, region: 1, winner: 2, second: 0, tolerance: 1e-6 };
    await values(() => run([far], checks), checks);
    await expect(checks.verify()).rejects.toThrow(/head region max.*no tie/);
    const bad = { query: 2, support: 0, region: 1, winner: 1, second: 0, tolerance: 1 };
    expect(() => run([bad], checks)).toThrow(/outside/);
  });
});

describe('a training step with overrides', () => {
  it('checks every kind of site after the step, naming the rejected calls, and leaks nothing', async () => {
    const model = new RCN({ backbone: 'conv4', imageSize: 20, widths: [8, 8, 8, 8], seed: 3 });
    const batch = syntheticBatch(20, 3, 1, 2);
    // Warm-up: a first step builds lazily cached constants.
    const warm = model.computeGradients(batch);
    tf.dispose([warm.loss, ...warm.grads.values()]);
    const before = tf.memory().numTensors;
    // A negative tolerance rejects every site whatever our values are.
    const branches = {
      checks: new BranchSiteChecks(),
      activations: new Map([
        ['support encoder.layer1.1', { index: [0, 5], positive: [true, false], tolerance: [-1, -1] }],
      ]),
      maxPools: new Map([
        // Window 0 of image 0, channel 0: inputs at (0, 0) and (0, 1) of the 18x18x8 map.
        ['query encoder.layer1.3', { window: [0], winner: [0], second: [8], tolerance: [-1] }],
      ]),
      regionMax: [{ query: 1, support: 2, region: 0, winner: 0, second: 1, tolerance: -1 }],
    };
    const r = model.computeGradients(batch, { branches });
    tf.dispose([r.loss, ...r.grads.values()]);
    expect(branches.checks.size).toBe(3);
    const err = await branches.checks.verify().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BranchSiteError);
    const msg = String(err);
    // In the order the step met them: the head's forward, then the backward passes of query and support.
    expect(msg).toMatch(
      /head region max: 1 site\(s\) rejected: entry \(query 1, support 2, region 0\): our gap .* is no tie/,
    );
    expect(msg).toMatch(/also rejected: query encoder\.layer1\.3 \(1\), support encoder\.layer1\.1 \(2\)$/);
    expect(tf.memory().numTensors).toBe(before);
    disposeBatch(batch);
    model.dispose();
  });
});
