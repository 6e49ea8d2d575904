/** Loading the golden reference episodes (see shared/golden/README.md) for the model tests. */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy } from '../../src/io/index.js';
import type { ModelConfigInput } from '../../src/model/index.js';

export const GOLDEN_CASES = [
  'conv4_32_5w1s',
  'conv4_84_5w2s',
  'resnet12q_32_5w1s',
  'resnet12q_84_5w1s',
] as const;

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../../..');
export const GOLDEN_DIR = process.env.RCN_GOLDEN_DIR ?? resolve(repoRoot, '../shared/golden');

/** Why the golden tests cannot run, or null when they can. */
export function goldenMissing(): string | null {
  for (const c of GOLDEN_CASES) {
    if (!existsSync(join(GOLDEN_DIR, c, 'manifest.json')))
      return `golden data not found: ${join(GOLDEN_DIR, c, 'manifest.json')} (set RCN_GOLDEN_DIR)`;
  }
  return null;
}

export interface GoldenManifest {
  case: string;
  backbone: 'conv4' | 'resnet12';
  image_size: number;
  n_way: number;
  k_shot: number;
  queries_per_class: number;
  feature_width: number;
  regions: number;
  loss: number;
  shapes: Record<string, number[]>;
}

export function readManifest(dir: string): GoldenManifest {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as GoldenManifest;
}

/** The model config a case was made with; widths read off the weights. */
export function caseConfig(m: GoldenManifest): ModelConfigInput {
  const key = (i: number) =>
    m.backbone === 'conv4'
      ? `weights/encoder.layer${i}.0.weight.npy`
      : `weights/encoder.layer${i}.0.conv1.weight.npy`;
  const widths = [1, 2, 3, 4].map((i) => m.shapes[key(i)][0]) as [number, number, number, number];
  return { backbone: m.backbone, imageSize: m.image_size, widths };
}

export async function loadF32(path: string): Promise<{ shape: number[]; data: Float32Array }> {
  const a = await readNpy(path);
  if (!(a.data instanceof Float32Array)) throw new Error(`${path}: expected float32`);
  return { shape: a.shape, data: a.data };
}

/** NCHW .npy -> NHWC tensor. */
export async function loadImages(path: string): Promise<tf.Tensor4D> {
  const a = await loadF32(path);
  return tf.tidy(() =>
    tf.transpose(tf.tensor4d(a.data, a.shape as [number, number, number, number]), [0, 2, 3, 1]),
  );
}

export async function loadLabels(path: string): Promise<tf.Tensor1D> {
  const a = await readNpy(path);
  return tf.tensor1d(Array.from(a.data as Float64Array, Number), 'int32');
}

/** max |ours - ref| / max |ref| over the tensor. */
export function relErr(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) throw new Error(`length mismatch: ${ours.length} vs ${ref.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref[i]));
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
