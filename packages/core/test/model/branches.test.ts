/**
 * Branch overrides (model/branches.ts): a listed site takes the given branch only where our value is a
 * near-tie, and the golden sites' NCHW indices land on the same elements of our NHWC tensors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import {
  applyActivationSites,
  applyMaxPoolSites,
  applyRegionMaxSites,
  BranchSiteError,
} from '../../src/model/branches.js';
import { initBackend } from '../../src/backend/index.js';
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

describe('activation sites', () => {
  const pre = [0.5, -2e-6, 3e-6, -0.7];
  it('sets the listed side at a near-tie, either way', () => {
    const mask = Float32Array.from(pre, (p) => (p > 0 ? 1 : 0.1));
    applyActivationSites(
      mask,
      (i) => pre[i],
      0.1,
      { index: [1, 2], positive: [true, false], tolerance: [1e-5, 1e-5] },
      'c',
    );
    expect(Array.from(mask)).toEqual([1, 1, Math.fround(0.1), Math.fround(0.1)]);
  });
  it('rejects a site whose pre-activation is no tie, naming it', () => {
    const mask = new Float32Array(4);
    const sites = { index: [3], positive: [true], tolerance: [1e-5] };
    expect(() => applyActivationSites(mask, (i) => pre[i], 0, sites, 'query encoder.layer1.1')).toThrow(
      BranchSiteError,
    );
    expect(() => applyActivationSites(mask, (i) => pre[i], 0, sites, 'query encoder.layer1.1')).toThrow(
      /query encoder\.layer1\.1.*index 3/,
    );
    expect(() =>
      applyActivationSites(mask, () => 0, 0, { index: [4], positive: [true], tolerance: [1] }, 'c'),
    ).toThrow(/outside/);
  });
});

describe('max-pool sites', () => {
  // One image 2x4, two channels (NHWC); output 1x2x2.
  const shape = [1, 2, 4, 2] as const;
  const outShape = [1, 1, 2, 2] as const;
  const idx = (y: number, x: number, c: number) => (y * 4 + x) * 2 + c;
  it('routes the window gradient to the listed winner', () => {
    const x = new Float32Array(16);
    x[idx(0, 0, 1)] = 1;
    x[idx(1, 1, 1)] = 1 - 1e-7;
    const dx = new Float32Array(16);
    dx[idx(0, 0, 1)] = 5; // the kernel's choice
    const dy = Float32Array.from([0, 5, 0, 0]);
    const sites = { window: [1], winner: [idx(1, 1, 1)], second: [idx(0, 0, 1)], tolerance: [1e-6] };
    applyMaxPoolSites(dx, x, dy, shape, outShape, sites, 'p');
    expect(dx[idx(0, 0, 1)]).toBe(0);
    expect(dx[idx(1, 1, 1)]).toBe(5);
  });
  it('rejects a winner outside the window or a window that is no tie', () => {
    const x = new Float32Array(16);
    x[idx(0, 0, 1)] = 1;
    const dy = Float32Array.from([0, 5, 0, 0]);
    const outside = { window: [1], winner: [idx(0, 2, 1)], second: [idx(0, 0, 1)], tolerance: [1] };
    expect(() => applyMaxPoolSites(new Float32Array(16), x, dy, shape, outShape, outside, 'p')).toThrow(
      /not in it/,
    );
    const far = { window: [1], winner: [idx(1, 1, 1)], second: [idx(0, 0, 1)], tolerance: [1e-3] };
    expect(() => applyMaxPoolSites(new Float32Array(16), x, dy, shape, outShape, far, 'p')).toThrow(/no tie/);
  });
});

describe('region-max sites', () => {
  // cos [S=1, R=2, Q=2, Rq=3]; entry (query 1, support 0, region 1) is row (0 * 2 + 1) * 2 + 1 = 3.
  const dims = { supports: 1, regions: 2, queries: 2, queryRegions: 3 };
  const cos = new Float32Array(12);
  cos.set([0.9, 0.9 - 1e-7, 0.2], 9);
  it('takes the listed winner at a tie', () => {
    const argmax = Int32Array.from([0, 0, 0, 0]);
    const site = { query: 1, support: 0, region: 1, winner: 1, second: 0, tolerance: 1e-6 };
    applyRegionMaxSites(argmax, cos, dims, [site]);
    expect(Array.from(argmax)).toEqual([0, 0, 0, 1]);
  });
  it('rejects entries that are no tie or out of range', () => {
    const far = { query: 1, support: 0, region: 1, winner: 2, second: 0, tolerance: 1e-6 };
    expect(() => applyRegionMaxSites(new Int32Array(4), cos, dims, [far])).toThrow(/no tie/);
    const bad = { query: 2, support: 0, region: 1, winner: 1, second: 0, tolerance: 1 };
    expect(() => applyRegionMaxSites(new Int32Array(4), cos, dims, [bad])).toThrow(/outside/);
  });
});
