/**
 * The TypeScript side of `pnpm bench --reference torch`, which needs no torch: the command line, the
 * skip when no interpreter has torch, the files handed to the reference script (PyTorch layouts, as the
 * golden tensors), and the parity verdict. The reference itself runs, and is checked against ours, in every
 * `--reference torch` bench run (see README, Benchmarks).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy, readNpy, tfToTorch, type WeightMap } from '@rcn/core';
import { referencePlan } from '../src/reference-args.js';
import {
  compareGradients,
  findTorch,
  GRAD_TOL,
  nhwcToNchw,
  referenceScript,
  run,
  writeCheckDir,
} from '../src/reference.js';
import { syntheticEpisode } from '../src/compute.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'rcn-ref-test-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('referencePlan', () => {
  it('is null without --reference and runs the issue suite by default', () => {
    expect(referencePlan(['compute'])).toBeNull();
    const plan = referencePlan(['--reference', 'torch'])!;
    expect(plan.rounds).toBe(2);
    expect(plan.configs.map((c) => `${c.backbone} ${c.imageSize} ${c.threads}`)).toEqual([
      'conv4 32 2',
      'conv4 84 2',
      'conv4 84 1',
      'resnet12 84 2',
    ]);
    for (const c of plan.configs) expect([c.way, c.shot, c.query]).toEqual([5, 1, 15]);
  });

  it('takes the product of the given lists and the episode shape', () => {
    const plan = referencePlan([
      '--reference',
      'torch',
      '--image-size',
      '32,84',
      '--threads',
      '1,2',
      '--shot',
      '5',
      '--steps',
      '3',
      '--rounds',
      '4',
    ])!;
    expect(plan.rounds).toBe(4);
    expect(plan.configs.map((c) => `${c.backbone} ${c.imageSize} ${c.threads} ${c.shot} ${c.steps}`)).toEqual(
      ['conv4 32 1 5 3', 'conv4 32 2 5 3', 'conv4 84 1 5 3', 'conv4 84 2 5 3'],
    );
  });

  it('names the bad option', () => {
    expect(() => referencePlan(['--reference', 'jax'])).toThrow(/--reference: only 'torch'/);
    expect(() => referencePlan(['--reference', 'torch', '--backbone', 'vgg'])).toThrow(/--backbone/);
    expect(() => referencePlan(['--reference', 'torch', '--threads', '0'])).toThrow(/--threads/);
    expect(() => referencePlan(['--reference', 'torch', '--steps', '2,3'])).toThrow(/--steps/);
  });
});

describe('without torch', () => {
  it('findTorch reports what each interpreter said', () => {
    const missing = join(tmpdir(), 'no-such-dir', 'python3');
    const r = findTorch([missing]);
    expect('tried' in r && r.tried[0]).toContain(missing);
  });

  it('the section is skipped with a row that says why and how to fix it', async () => {
    const before = process.env.RCN_PYTHON;
    process.env.RCN_PYTHON = join(tmpdir(), 'no-such-dir', 'python3');
    try {
      const rows = await run(['--reference', 'torch']);
      expect(rows).toHaveLength(1);
      expect(rows[0].name).toMatch(/skipped/);
      expect(String(rows[0].extra?.reason)).toMatch(/python3-torch/);
      expect(String(rows[0].extra?.reason)).toContain('no-such-dir');
    } finally {
      if (before === undefined) delete process.env.RCN_PYTHON;
      else process.env.RCN_PYTHON = before;
    }
  });

  it('the reference script ships beside the sources', () => {
    expect(existsSync(referenceScript())).toBe(true);
  });
});

describe('the files the reference reads', () => {
  it('are NCHW images, int labels and PyTorch-layout weights', async () => {
    const dir = await tempDir();
    const ep = syntheticEpisode(4, 5, 2, 1, 3);
    // A conv kernel [kh, kw, in, out] whose entries encode their own index, and a vector.
    const kernel = { shape: [3, 3, 2, 4], data: Float32Array.from({ length: 72 }, (_, i) => i) };
    const params: WeightMap = new Map([
      ['encoder.layer1.0.weight', kernel],
      ['encoder.layer1.1.weight', { shape: [4], data: Float32Array.of(1, 2, 3, 4) }],
    ]);
    await writeCheckDir(dir, params, ep);
    const w = await readNpy(join(dir, 'weights', 'encoder.layer1.0.weight.npy'));
    expect(w.shape).toEqual([4, 2, 3, 3]);
    // PyTorch [out, in, kh, kw] entry (o=3, i=1, y=2, x=0) is TF.js [y, x, i, o] = ((2*3+0)*2+1)*4+3.
    expect(w.data[((3 * 2 + 1) * 3 + 2) * 3 + 0]).toBe(((2 * 3 + 0) * 2 + 1) * 4 + 3);
    expect(
      Array.from((await readNpy(join(dir, 'weights', 'encoder.layer1.1.weight.npy'))).data as Float32Array),
    ).toEqual([1, 2, 3, 4]);
    const s = await readNpy(join(dir, 'inputs', 'support.npy'));
    expect(s.shape).toEqual([2, 3, 4, 4]);
    // Support image 1, channel 2, row 3, column 1 against the NHWC source.
    expect(s.data[((1 * 3 + 2) * 4 + 3) * 4 + 1]).toBe(ep.support[((1 * 4 + 3) * 4 + 1) * 3 + 2]);
    const q = await readNpy(join(dir, 'inputs', 'query.npy'));
    expect(q.shape).toEqual([6, 3, 4, 4]);
    const labels = await readNpy(join(dir, 'inputs', 'query_labels.npy'));
    expect(Array.from(labels.data as Int32Array)).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('nhwcToNchw is a permutation', () => {
    const x = Float32Array.from({ length: 2 * 3 * 5 * 4 }, (_, i) => i);
    const y = nhwcToNchw(x, 2, 3, 5, 4);
    expect([...y].sort((a, b) => a - b)).toEqual([...x]);
    expect(y[((1 * 4 + 2) * 3 + 1) * 5 + 4]).toBe(x[((1 * 3 + 1) * 5 + 4) * 4 + 2]);
  });
});

describe('the parity verdict', () => {
  /** A reference output folder holding `grads` (TF.js layout, written in PyTorch layout) and `loss`. */
  async function torchDir(loss: number, grads: WeightMap): Promise<string> {
    const dir = await tempDir();
    await mkdir(join(dir, 'torch', 'grads'), { recursive: true });
    await writeFile(
      join(dir, 'torch', 'loss.npy'),
      encodeNpy({ dtype: 'float32', shape: [1], data: [loss] }),
    );
    for (const [name, g] of grads)
      await writeFile(
        join(dir, 'torch', 'grads', `${name}.npy`),
        encodeNpy({ dtype: 'float32', ...tfToTorch(g) }),
      );
    return dir;
  }
  const weight = { shape: [3, 3, 3, 2], data: Float32Array.from({ length: 54 }, (_, i) => Math.sin(i)) };
  const ours: WeightMap = new Map([
    ['encoder.layer1.0.weight', weight],
    // A conv bias before batch-statistics BatchNorm: exactly 0 here, round-off in the reference.
    ['encoder.layer1.0.bias', { shape: [2], data: Float32Array.of(0, 0) }],
    ['head.meta_learner.1.weight', { shape: [2], data: Float32Array.of(0.5, -0.25) }],
  ]);

  it('accepts round-off, including a cancelled bias measured against its conv weight', async () => {
    const near: WeightMap = new Map(
      [...ours].map(([k, v]) => [k, { shape: v.shape, data: v.data.map((x) => x * (1 + 1e-6)) }]),
    );
    near.set('encoder.layer1.0.bias', { shape: [2], data: Float32Array.of(3e-9, -2e-9) });
    const p = await compareGradients(await torchDir(0.25 * (1 + 1e-6), near), 0.25, ours);
    expect(p.ok).toBe(true);
    expect(p.lossRel).toBeLessThan(1e-5);
    expect(p.gradRel).toBeLessThan(1e-4);
  });

  it('rejects a different loss or a different gradient, naming the parameter', async () => {
    expect((await compareGradients(await torchDir(0.2501, ours), 0.25, ours)).ok).toBe(false);
    const off: WeightMap = new Map(ours);
    off.set('head.meta_learner.1.weight', {
      shape: [2],
      data: Float32Array.of(0.5, -0.25 * (1 + 4 * GRAD_TOL)),
    });
    const p = await compareGradients(await torchDir(0.25, off), 0.25, ours);
    expect(p.ok).toBe(false);
    expect(p.worstParam).toBe('head.meta_learner.1.weight');
  });
});
