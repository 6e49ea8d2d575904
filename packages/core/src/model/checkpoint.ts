/**
 * Checkpoints in the TensorFlow.js weights format: `model.json` (a weights manifest: names, shapes, dtypes,
 * pointing at `weights.bin`), `weights.bin` (float32 little-endian, concatenated in manifest order) and
 * `metadata.json` (method, model config, normalisation, dataset, episode count, metrics). Every file is
 * written atomically; `weights.bin` first, so a `model.json` never points at a missing or partial blob.
 *
 * Metadata version 2 records the method (`method`); version 1 wrote `architecture: 'rcn'` for every
 * method and kept the real one in `extra.method`. `readCheckpoint` reads both and always answers with a
 * `method`. Open a checkpoint as a model with `openCheckpoint` (open.ts), the one loader.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allVariables, readableSync } from '../backend/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../io/index.js';
import type { ModelConfig } from './config.js';
import type { WeightMap } from './params.js';
import { METHOD_NAMES, type FewShotModel, type Method } from './types.js';

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
  /** 2 records `method`; 1 (read only) kept it in `extra.method`. */
  version: 1 | 2;
  /** The few-shot method whose model these weights fit. */
  method: Method;
  model: ModelConfig;
  createdAt: string;
}

/** Why a checkpoint cannot be used; `code` is stable for callers (the API maps it, never the text). */
export type CheckpointErrorCode = 'CHECKPOINT_NOT_FOUND' | 'CHECKPOINT_INVALID';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
  ) {
    super(message);
  }
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
    version: 2,
    method: model.method,
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
    throw new CheckpointError(
      'CHECKPOINT_NOT_FOUND',
      `${path}: cannot read checkpoint file (${(e as Error).message})`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CheckpointError('CHECKPOINT_INVALID', `${path}: invalid JSON (${(e as Error).message})`);
  }
}

/** A checkpoint's metadata file, any version, as version-2 metadata (the method always set). */
export async function readCheckpointMetadata(dir: string): Promise<CheckpointMetadata> {
  const metaPath = join(dir, CHECKPOINT_FILES.metadata);
  const raw = (await readJson(metaPath)) as Partial<CheckpointMetadata> & { architecture?: unknown };
  if (!raw || typeof raw !== 'object' || raw.format !== 'rcn-checkpoint' || !raw.model)
    throw new CheckpointError(
      'CHECKPOINT_INVALID',
      `${metaPath}: not an RCN Studio checkpoint metadata file`,
    );
  // Version 1: `architecture: 'rcn'` for every method, the method in `extra.method` (absent: an RCN).
  const method = raw.method ?? (raw.extra?.method as Method | undefined) ?? 'rcn';
  if (!METHOD_NAMES.includes(method))
    throw new CheckpointError(
      'CHECKPOINT_INVALID',
      `${metaPath}: unknown method '${String(method)}'; expected ${METHOD_NAMES.join(', ')}`,
    );
  const { architecture: _legacy, ...rest } = raw;
  return { ...(rest as CheckpointMetadata), method };
}

/** The checkpoint directory to read: `dir`, or its `.old` twin when a crash hit between the two renames. */
export function resolveCheckpointDir(dir: string): string {
  if (existsSync(join(dir, CHECKPOINT_FILES.manifest))) return dir;
  if (existsSync(join(`${dir}.old`, CHECKPOINT_FILES.manifest))) return `${dir}.old`;
  throw new CheckpointError('CHECKPOINT_NOT_FOUND', `${dir}: no checkpoint here (model.json missing)`);
}

/** Reads a checkpoint's weights (float32 only) and metadata without building a model. */
export async function readCheckpoint(
  dir: string,
): Promise<{ metadata: CheckpointMetadata; weights: WeightMap }> {
  const manifestPath = join(dir, CHECKPOINT_FILES.manifest);
  const manifest = (await readJson(manifestPath)) as Partial<WeightsManifestJson>;
  const metadata = await readCheckpointMetadata(dir);
  if (!Array.isArray(manifest.weightsManifest))
    throw new CheckpointError('CHECKPOINT_INVALID', `${manifestPath}: no weightsManifest`);
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
        throw new CheckpointError(
          'CHECKPOINT_INVALID',
          `${manifestPath}: '${spec.name}' has dtype ${spec.dtype}; only float32 is supported`,
        );
      const n = spec.shape.reduce((a, b) => a * b, 1);
      if (offset + 4 * n > total)
        throw new CheckpointError(
          'CHECKPOINT_INVALID',
          `${join(dir, group.paths.join(','))}: truncated (need ${offset + 4 * n} bytes for '${spec.name}', have ${total})`,
        );
      weights.set(spec.name, {
        shape: spec.shape,
        data: new Float32Array(bytes.slice(offset, offset + 4 * n).buffer),
      });
      offset += 4 * n;
    }
    if (offset !== total)
      throw new CheckpointError(
        'CHECKPOINT_INVALID',
        `${join(dir, group.paths.join(','))}: ${total - offset} bytes beyond the manifest's tensors`,
      );
  }
  return { metadata, weights };
}
