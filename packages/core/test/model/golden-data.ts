/**
 * Loading the golden reference episodes (see shared/golden/README.md) for the model tests: case discovery,
 * manifests, tensors, and the near-tie sites of `sites.json` as the model's branch overrides.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy } from '../../src/io/index.js';
import { type ModelConfigInput } from '../../src/model/index.js';
import {
  BranchSiteChecks,
  branchKey,
  type ActivationSites,
  type BranchOverrides,
  type MaxPoolSites,
  type RegionMaxSite,
} from '../../src/model/backward/branches.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../../..');
export const GOLDEN_DIR = process.env.RCN_GOLDEN_DIR ?? resolve(repoRoot, '../shared/golden');

/** Every case folder under GOLDEN_DIR: each subfolder with a manifest.json, sorted by name. */
export function goldenCases(): string[] {
  if (!existsSync(GOLDEN_DIR)) return [];
  return readdirSync(GOLDEN_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(GOLDEN_DIR, d.name, 'manifest.json')))
    .map((d) => d.name)
    .sort();
}

/** Why the golden tests cannot run, or null when they can. */
export function goldenMissing(): string | null {
  return goldenCases().length
    ? null
    : `no golden case (a folder with manifest.json) under ${GOLDEN_DIR} (set RCN_GOLDEN_DIR)`;
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

/** The manifest of a case folder, its fields checked (errors name the file and field). */
export function readManifest(dir: string): GoldenManifest {
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8')) as Partial<GoldenManifest>;
  if (m.backbone !== 'conv4' && m.backbone !== 'resnet12')
    throw new Error(`${path}: backbone must be 'conv4' or 'resnet12', got ${JSON.stringify(m.backbone)}`);
  for (const f of [
    'image_size',
    'n_way',
    'k_shot',
    'queries_per_class',
    'feature_width',
    'regions',
  ] as const) {
    const v = m[f];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new Error(`${path}: ${f} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (!m.shapes || typeof m.shapes !== 'object') throw new Error(`${path}: shapes missing`);
  return m as GoldenManifest;
}

/** The model config a case was made with; stage widths read off the stored weights' shapes. */
export function caseConfig(m: GoldenManifest): ModelConfigInput {
  const key = (i: number) =>
    m.backbone === 'conv4'
      ? `weights/encoder.layer${i}.0.weight.npy`
      : `weights/encoder.layer${i}.0.conv1.weight.npy`;
  const widths = [1, 2, 3, 4].map((i) => {
    const shape = m.shapes[key(i)];
    if (!shape) throw new Error(`${m.case}/manifest.json: shapes has no ${key(i)}`);
    return shape[0];
  }) as [number, number, number, number];
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
  return tf.tensor1d(Array.from(a.data as ArrayLike<number | bigint>, Number), 'int32');
}

export { relErr } from '../helpers/rel-err.js';

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Flat NCHW index into `shape` [N, C, H, W] -> flat NHWC index of the same element. */
export function nchwToNhwc(i: number, shape: readonly number[]): number {
  if (shape.length !== 4) throw new Error(`expected an NCHW shape, got [${shape.join(', ')}]`);
  const [n, c, h, w] = shape;
  if (!Number.isInteger(i) || i < 0 || i >= n * c * h * w)
    throw new Error(`index ${i} outside [${shape.join(', ')}]`);
  const x = i % w;
  const y = Math.floor(i / w) % h;
  const ch = Math.floor(i / (w * h)) % c;
  const b = Math.floor(i / (w * h * c));
  return ((b * h + y) * w + x) * c + ch;
}

/** sites.json as the generator writes it (README "sites.json"). */
interface SitesFile {
  activations: {
    layer: string;
    pass: string;
    shape: number[];
    threshold: number;
    index: number[];
    pre: number[];
  }[];
  maxpools: {
    layer: string;
    pass: string;
    shape: number[];
    out_shape: number[];
    threshold: number;
    window: number[];
    first: number[];
    second: number[];
  }[];
  region_max: {
    query: number;
    support: number;
    region: number;
    first: number;
    second: number;
    threshold: number;
  }[];
}

/**
 * A listed site is replayed only where our own value is within this many times the site's threshold of a
 * tie. The threshold already holds 4x the reference's own float32 deviation from float64, so a factor of 2
 * leaves room for round-off up to 8x PyTorch's while rejecting anything that is not a near-tie.
 */
export const TIE_FACTOR = 2;

/** The overrides of one case, and the calls they name (to check that the model looked each one up). */
export interface GoldenSites {
  branches: BranchOverrides;
  /** Keys of calls with at least one site, by kind. */
  activationCalls: string[];
  poolCalls: string[];
  counts: { activation: number; maxpool: number; region_max: number };
  /** The keys the model looked up during a step (filled as it runs). */
  seen: Set<string>;
}

/** Reads `<dir>/sites.json` into branch overrides in our NHWC layout. */
export function loadSites(dir: string): GoldenSites {
  const path = join(dir, 'sites.json');
  const s = JSON.parse(readFileSync(path, 'utf8')) as SitesFile;
  if (!Array.isArray(s.activations) || !Array.isArray(s.maxpools) || !Array.isArray(s.region_max))
    throw new Error(`${path}: expected lists activations, maxpools and region_max`);
  const seen = new Set<string>();
  // Records the model's look-ups, so that a site under a name the model never uses cannot pass unnoticed.
  class Recording<V> extends Map<string, V> {
    override get(key: string): V | undefined {
      seen.add(key);
      return super.get(key);
    }
  }
  const activations = new Recording<ActivationSites>();
  const counts = { activation: 0, maxpool: 0, region_max: s.region_max.length };
  for (const a of s.activations) {
    if (!a.index.length) continue;
    const key = branchKey(a.pass, a.layer);
    if (activations.has(key)) throw new Error(`${path}: activation call ${key} listed twice`);
    if (a.pre.length !== a.index.length) throw new Error(`${path}: ${key}: index and pre differ in length`);
    activations.set(key, {
      index: a.index.map((i) => nchwToNhwc(i, a.shape)),
      positive: a.pre.map((p) => p > 0),
      tolerance: a.index.map(() => TIE_FACTOR * a.threshold),
    });
    counts.activation += a.index.length;
  }
  const maxPools = new Recording<MaxPoolSites>();
  for (const p of s.maxpools) {
    if (!p.window.length) continue;
    const key = branchKey(p.pass, p.layer);
    if (maxPools.has(key)) throw new Error(`${path}: max-pool call ${key} listed twice`);
    maxPools.set(key, {
      window: p.window.map((i) => nchwToNhwc(i, p.out_shape)),
      winner: p.first.map((i) => nchwToNhwc(i, p.shape)),
      second: p.second.map((i) => nchwToNhwc(i, p.shape)),
      tolerance: p.window.map(() => TIE_FACTOR * p.threshold),
    });
    counts.maxpool += p.window.length;
  }
  const regionMax: RegionMaxSite[] = s.region_max.map((r) => ({
    query: r.query,
    support: r.support,
    region: r.region,
    winner: r.first,
    second: r.second,
    tolerance: TIE_FACTOR * r.threshold,
  }));
  return {
    branches: { checks: new BranchSiteChecks(), activations, maxPools, regionMax },
    activationCalls: [...activations.keys()],
    poolCalls: [...maxPools.keys()],
    counts,
    seen,
  };
}
