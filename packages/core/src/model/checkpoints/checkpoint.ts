/**
 * Checkpoints in the TensorFlow.js weights format: `model.json` (a weights manifest: names, shapes, dtypes,
 * pointing at `weights.bin`), `weights.bin` (float32 little-endian, concatenated in manifest order) and
 * `metadata.json` (method, model config, normalisation, dataset, episode count, metrics). Every file is
 * written atomically; `weights.bin` first, so a `model.json` never points at a missing or partial blob.
 *
 * Metadata version 2 records the method (`method`); version 1 wrote `architecture: 'rcn'` for every
 * method and kept the real one in `extra.method`. `readCheckpoint` reads both and always answers with a
 * `method`. Open a checkpoint as a model with `openCheckpoint` (open.ts), the one loader; the format itself
 * (parsing, decoding, the checks) is checkpoint-format.ts, shared with the HTTP loader.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { allVariables, readableSync } from '../../backend/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../../io/index.js';
import {
  CHECKPOINT_FILES,
  CheckpointError,
  type CheckpointInfo,
  type CheckpointMetadata,
  decodeWeights,
  parseCheckpointMetadata,
  parseWeightsManifest,
  type WeightsManifestJson,
  metadataFile,
} from './checkpoint-format.js';
import type { WeightMap } from '../params.js';
import type { FewShotModel } from '../types.js';

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
  await writeJsonAtomic(join(dir, CHECKPOINT_FILES.metadata), metadataFile(metadata));
  return metadata;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CheckpointError(
      'CHECKPOINT_NOT_FOUND',
      `${path}: cannot read checkpoint file (${(e as Error).message})`,
    );
  }
}

/** A checkpoint's metadata file, any version, as version-2 metadata (the method always set). */
export async function readCheckpointMetadata(dir: string): Promise<CheckpointMetadata> {
  const metaPath = join(dir, CHECKPOINT_FILES.metadata);
  return parseCheckpointMetadata(await readText(metaPath), metaPath);
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
  const groups = parseWeightsManifest(await readText(manifestPath), manifestPath);
  const metadata = await readCheckpointMetadata(dir);
  const weights = await decodeWeights(
    groups,
    (p) => readFile(join(dir, p)),
    manifestPath,
    (paths) => join(dir, paths.join(',')),
  );
  return { metadata, weights };
}
