/**
 * Checkpoints in the TensorFlow.js weights format: `model.json` (a weights manifest: names, shapes, dtypes,
 * pointing at `weights.bin`), `weights.bin` (float32 little-endian, concatenated in manifest order) and
 * `metadata.json` (architecture config, normalisation, dataset, episode count, metrics). Every file is
 * written atomically; `weights.bin` first, so a `model.json` never points at a missing or partial blob.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allVariables, readableSync } from '../backend/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../io/index.js';
import { resolveModelConfig, type ModelConfig } from './config.js';
import type { WeightMap } from './params.js';
import { RCN } from './rcn.js';
import type { FewShotModel } from './types.js';

export const CHECKPOINT_FILES = {
  manifest: 'model.json',
  weights: 'weights.bin',
  metadata: 'metadata.json',
} as const;

export interface Normalisation {
  mean: number[];
  std: number[];
}

export interface CheckpointInfo {
  /** How inputs were normalised: (pixel / 255 - mean) / std per channel. */
  normalisation?: Normalisation;
  /** Dataset name or description. */
  dataset?: string;
  /** Training episodes seen. */
  episodes?: number;
  metrics?: Record<string, number>;
  /** Free-form extra fields (run id, git revision, ...). */
  extra?: Record<string, unknown>;
}

export interface CheckpointMetadata extends CheckpointInfo {
  format: 'rcn-checkpoint';
  version: 1;
  architecture: 'rcn';
  model: ModelConfig;
  createdAt: string;
}

interface WeightsManifestJson {
  format: string;
  generatedBy: string;
  modelTopology: null;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
}

/** Saves `model`'s parameters and buffers and its metadata into `dir` (created if needed). */
export async function saveCheckpoint(
  model: FewShotModel,
  dir: string,
  info: CheckpointInfo = {},
): Promise<CheckpointMetadata> {
  await readableSync(allVariables()); // getWeights reads synchronously
  const weights = model.getWeights();
  const named: tf.NamedTensorMap = {};
  for (const [name, t] of weights) named[name] = tf.tensor(t.data, t.shape, 'float32');
  let encoded: { data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[] };
  try {
    encoded = (await tf.io.encodeWeights(named)) as {
      data: ArrayBuffer;
      specs: tf.io.WeightsManifestEntry[];
    };
  } finally {
    for (const t of Object.values(named)) t.dispose();
  }
  const manifest: WeightsManifestJson = {
    format: 'rcn-weights',
    generatedBy: '@rcn/core',
    modelTopology: null,
    weightsManifest: [
      {
        paths: [`./${CHECKPOINT_FILES.weights}`],
        weights: encoded.specs.map((s) => ({ name: s.name, shape: s.shape, dtype: s.dtype })),
      },
    ],
  };
  const metadata: CheckpointMetadata = {
    format: 'rcn-checkpoint',
    version: 1,
    architecture: 'rcn',
    model: model.config,
    createdAt: new Date().toISOString(),
    ...info,
  };
  await writeFileAtomic(join(dir, CHECKPOINT_FILES.weights), new Uint8Array(encoded.data));
  await writeJsonAtomic(join(dir, CHECKPOINT_FILES.manifest), manifest);
  await writeJsonAtomic(join(dir, CHECKPOINT_FILES.metadata), metadata);
  return metadata;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read checkpoint file (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${path}: invalid JSON (${(e as Error).message})`);
  }
}

/** Reads a checkpoint's weights (float32 only) and metadata without building a model. */
export async function readCheckpoint(
  dir: string,
): Promise<{ metadata: CheckpointMetadata; weights: WeightMap }> {
  const manifestPath = join(dir, CHECKPOINT_FILES.manifest);
  const metaPath = join(dir, CHECKPOINT_FILES.metadata);
  const manifest = (await readJson(manifestPath)) as Partial<WeightsManifestJson>;
  const metadata = (await readJson(metaPath)) as Partial<CheckpointMetadata>;
  if (metadata.format !== 'rcn-checkpoint' || !metadata.model)
    throw new Error(`${metaPath}: not an RCN checkpoint metadata file`);
  if (!Array.isArray(manifest.weightsManifest)) throw new Error(`${manifestPath}: no weightsManifest`);
  const weights: WeightMap = new Map();
  for (const group of manifest.weightsManifest) {
    const chunks: Uint8Array[] = [];
    for (const p of group.paths) chunks.push(await readFile(join(dir, p)));
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    let offset = 0;
    for (const spec of group.weights) {
      if (spec.dtype !== 'float32')
        throw new Error(`${manifestPath}: '${spec.name}' has dtype ${spec.dtype}; only float32 is supported`);
      const n = spec.shape.reduce((a, b) => a * b, 1);
      if (offset + 4 * n > total)
        throw new Error(
          `${join(dir, group.paths.join(','))}: truncated (need ${offset + 4 * n} bytes for '${spec.name}', have ${total})`,
        );
      weights.set(spec.name, {
        shape: spec.shape,
        data: new Float32Array(bytes.slice(offset, offset + 4 * n).buffer),
      });
      offset += 4 * n;
    }
    if (offset !== total)
      throw new Error(
        `${join(dir, group.paths.join(','))}: ${total - offset} bytes beyond the manifest's tensors`,
      );
  }
  return { metadata: metadata as CheckpointMetadata, weights };
}

/** Builds the model a checkpoint describes and loads its state; predictions are bit-identical to the saved model's. */
export async function loadCheckpoint(dir: string): Promise<{ model: RCN; metadata: CheckpointMetadata }> {
  const { metadata, weights } = await readCheckpoint(dir);
  if (metadata.architecture !== 'rcn')
    throw new Error(`${dir}: unknown architecture '${String(metadata.architecture)}'`);
  const model = new RCN(resolveModelConfig(metadata.model));
  try {
    model.setWeights(weights);
  } catch (e) {
    model.dispose();
    throw new Error(`${dir}: ${(e as Error).message}`);
  }
  return { model, metadata };
}
