/**
 * The checkpoint format as data, without any file system: the three files' names, the metadata (any
 * version, validated) and the weights blob decoded against its manifest. checkpoint.ts reads and writes
 * them on disk; fetch-checkpoint.ts over HTTP (the browser entry), with the same checks and messages.
 */
import { METHOD_NAMES, type Method } from '../types.js';
import type { ModelConfig } from '../config.js';
import type { WeightMap } from '../params.js';

export const CHECKPOINT_FILES = {
  manifest: 'model.json',
  weights: 'weights.bin',
  metadata: 'metadata.json',
} as const;

export interface Normalization {
  mean: number[];
  std: number[];
}

export interface CheckpointInfo {
  /** How inputs were normalised: (pixel / 255 - mean) / std per channel. */
  normalization?: Normalization;
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

export interface WeightsManifestJson {
  format: string;
  generatedBy: string;
  modelTopology: null;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
}

/** Parses a metadata file's text: any version, answered as version-2 metadata (the method always set). */
export function parseCheckpointMetadata(text: string, source: string): CheckpointMetadata {
  const raw = parseJson(text, source) as (Partial<CheckpointMetadata> & { architecture?: unknown }) | null;
  if (!raw || typeof raw !== 'object' || raw.format !== 'rcn-checkpoint' || !raw.model)
    throw new CheckpointError('CHECKPOINT_INVALID', `${source}: not an RCN Studio checkpoint metadata file`);
  // Version 1: `architecture: 'rcn'` for every method, the method in `extra.method` (absent: an RCN).
  const method = raw.method ?? (raw.extra?.method as Method | undefined) ?? 'rcn';
  if (!METHOD_NAMES.includes(method))
    throw new CheckpointError(
      'CHECKPOINT_INVALID',
      `${source}: unknown method '${String(method)}'; expected ${METHOD_NAMES.join(', ')}`,
    );
  const {
    architecture: _legacy,
    [STORED_NORMALIZATION]: stored,
    ...rest
  } = raw as typeof raw & {
    [STORED_NORMALIZATION]?: Normalization;
  };
  const normalization = rest.normalization ?? stored;
  return { ...(rest as CheckpointMetadata), method, ...(normalization ? { normalization } : {}) };
}

/**
 * The key `metadata.json` keeps the input statistics under: every checkpoint written so far (the zoo's, the
 * runs') spells it so, and older readers look for it. In memory the field is `normalization`, the one
 * spelling of public fields; parse and `metadataFile` translate.
 */
const STORED_NORMALIZATION = 'normalisation';

/** `metadata` as `metadata.json` holds it (keys in the same order). */
export function metadataFile(metadata: CheckpointMetadata): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(metadata).map(([k, v]) => [k === 'normalization' ? STORED_NORMALIZATION : k, v]),
  );
}

export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CheckpointError('CHECKPOINT_INVALID', `${source}: invalid JSON (${(e as Error).message})`);
  }
}

/** Parses `model.json`'s text into its weight groups (each: blob paths relative to it, tensors in order). */
export function parseWeightsManifest(text: string, source: string): WeightsManifestJson['weightsManifest'] {
  const manifest = parseJson(text, source) as Partial<WeightsManifestJson> | null;
  if (!manifest || !Array.isArray(manifest.weightsManifest))
    throw new CheckpointError('CHECKPOINT_INVALID', `${source}: no weightsManifest`);
  return manifest.weightsManifest;
}

/**
 * Decodes the weights of a manifest (float32 only) from its blobs, read by `readBlob(path)` (each group's
 * paths concatenated in order); `source` names the manifest in errors, `at(paths)` the blobs.
 */
export async function decodeWeights(
  groups: WeightsManifestJson['weightsManifest'],
  readBlob: (path: string) => Promise<Uint8Array>,
  source: string,
  at: (paths: string[]) => string,
): Promise<WeightMap> {
  const weights: WeightMap = new Map();
  for (const group of groups) {
    const chunks = await Promise.all(group.paths.map(readBlob));
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const c of chunks) {
      bytes.set(c, offset);
      offset += c.length;
    }
    offset = 0;
    for (const spec of group.weights) {
      if (spec.dtype !== 'float32')
        throw new CheckpointError(
          'CHECKPOINT_INVALID',
          `${source}: '${spec.name}' has dtype ${spec.dtype}; only float32 is supported`,
        );
      const n = spec.shape.reduce((a, b) => a * b, 1);
      if (offset + 4 * n > total)
        throw new CheckpointError(
          'CHECKPOINT_INVALID',
          `${at(group.paths)}: truncated (need ${offset + 4 * n} bytes for '${spec.name}', have ${total})`,
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
        `${at(group.paths)}: ${total - offset} bytes beyond the manifest's tensors`,
      );
  }
  return weights;
}
