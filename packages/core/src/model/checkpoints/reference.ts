/**
 * Importing the authors' PyTorch weights: one `.npy` per tensor named by its module path (the golden
 * `weights/` and `buffers/` folders), PyTorch layout (conv [out, in, kh, kw]), converted to TF.js layout.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { allVariables, readableSync } from '../../backend/index.js';
import { readNpy } from '../../io/index.js';
import type { FewShotModel } from '../types.js';
import type { TensorData, WeightMap } from '../params.js';

/** PyTorch conv [out, in, kh, kw] -> TF.js [kh, kw, in, out]; other ranks unchanged. */
export function torchToTf(t: TensorData): TensorData {
  if (t.shape.length !== 4) return t;
  const [o, i, kh, kw] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          out[((y * kw + x) * i + b) * o + a] = t.data[((a * i + b) * kh + y) * kw + x];
  return { shape: [kh, kw, i, o], data: out };
}

/** TF.js conv [kh, kw, in, out] -> PyTorch [out, in, kh, kw]; other ranks unchanged. */
export function tfToTorch(t: TensorData): TensorData {
  if (t.shape.length !== 4) return t;
  const [kh, kw, i, o] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          out[((a * i + b) * kh + y) * kw + x] = t.data[((y * kw + x) * i + b) * o + a];
  return { shape: [o, i, kh, kw], data: out };
}

export interface ReferenceImportOptions {
  /** Also import BatchNorm running statistics from `<dir>/buffers` (default: when that folder exists). */
  buffers?: boolean;
  /** Fail on `.npy` files that match no model tensor (default true): a sign of the wrong architecture. */
  strict?: boolean;
}

async function readTensor(path: string): Promise<TensorData> {
  const arr = await readNpy(path);
  if (arr.dtype !== 'float32' && arr.dtype !== 'float64')
    throw new Error(`${path}: expected float32 data, found ${arr.dtype}`);
  return {
    shape: arr.shape,
    data: arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data as Float64Array),
  };
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Loads `<dir>/weights/<name>.npy` for every trainable parameter (and `<dir>/buffers/<name>.npy` for every
 * running statistic when `buffers`) into `model`. All files are checked before anything is assigned; errors
 * name the file and the expected shape (PyTorch layout).
 */
export async function loadReferenceWeights(
  model: FewShotModel,
  dir: string,
  opts: ReferenceImportOptions = {},
): Promise<void> {
  const weightsDir = join(dir, 'weights');
  const buffersDir = join(dir, 'buffers');
  if (!existsSync(weightsDir))
    throw new Error(`${weightsDir}: no such folder (expected one .npy per parameter)`);
  const withBuffers = opts.buffers ?? existsSync(buffersDir);
  const strict = opts.strict ?? true;
  await readableSync(allVariables()); // getWeights reads synchronously
  const current = model.getWeights();
  const trainable = new Set(model.trainableVariables().keys());
  const wanted: [string, string][] = [];
  for (const name of current.keys()) {
    if (trainable.has(name)) wanted.push([name, join(weightsDir, `${name}.npy`)]);
    else if (withBuffers) wanted.push([name, join(buffersDir, `${name}.npy`)]);
  }
  const errors: string[] = [];
  const loaded: WeightMap = new Map();
  for (const [name, path] of wanted) {
    const expected = tfToTorch({ shape: current.get(name)?.shape ?? [], data: new Float32Array(0) }).shape;
    if (!existsSync(path)) {
      errors.push(`${path}: missing (model parameter '${name}', shape [${expected.join(', ')}])`);
      continue;
    }
    try {
      const t = await readTensor(path);
      if (!sameShape(t.shape, expected)) {
        errors.push(
          `${path}: shape [${t.shape.join(', ')}] does not match model parameter '${name}' [${expected.join(', ')}] (PyTorch layout)`,
        );
        continue;
      }
      loaded.set(name, torchToTf(t));
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (strict) {
    const known = new Set(current.keys());
    const folders: [string, boolean][] = [
      [weightsDir, true],
      [buffersDir, withBuffers],
    ];
    for (const [folder, use] of folders) {
      if (!use || !existsSync(folder)) continue;
      for (const f of readdirSync(folder)) {
        const name = f.replace(/\.npy$/, '');
        // PyTorch's BatchNorm step counter has no counterpart here.
        if (f.endsWith('.npy') && !known.has(name) && !name.endsWith('num_batches_tracked')) {
          errors.push(`${join(folder, f)}: no model parameter named '${name}'`);
        }
      }
    }
  }
  if (errors.length)
    throw new Error(`loadReferenceWeights(${dir}): ${errors.length} problem(s):\n  ${errors.join('\n  ')}`);
  model.setWeights(loaded, true);
}
