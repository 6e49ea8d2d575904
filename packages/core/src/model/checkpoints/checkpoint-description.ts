/**
 * What a checkpoint's metadata says about feeding its model: the method, the normalisation, the whole
 * input treatment, the region geometry and the dataset. One reading for every loader (`openCheckpoint`
 * from a folder, `fetchCheckpoint` over HTTP), so the rules and their error messages are the same.
 */
import { checkpointNormalization, inputSpecOf, type InputSpec, type NormStats } from '../../data/browser.js';
import { CheckpointError, type CheckpointMetadata } from './checkpoint-format.js';
import { regionGeometry, type RegionGeometry } from '../methods/geometry.js';
import type { Method } from '../types.js';

export interface MetadataDescription {
  method: Method;
  metadata: CheckpointMetadata;
  /** Per-channel statistics every input of this model is normalised with. */
  normalization: NormStats;
  /** The whole input treatment (channels, resize, size, normalisation) for image files and uploads. */
  input: InputSpec;
  /** Where the regions lie in the image; null for methods without a region grid (ProtoNet, Relation Net). */
  geometry: RegionGeometry | null;
  /** The dataset the checkpoint was trained on, or null when it names none. */
  dataset: string | null;
}

/** Reads `metadata` (from `metaPath`, named in errors); a treatment it cannot give is CHECKPOINT_INVALID. */
export function describeMetadata(metadata: CheckpointMetadata, metaPath: string): MetadataDescription {
  let input: InputSpec;
  try {
    input = inputSpecOf(metadata);
  } catch (e) {
    throw new CheckpointError('CHECKPOINT_INVALID', `${metaPath}: ${(e as Error).message}`);
  }
  let geometry: RegionGeometry | null = null;
  if (metadata.method === 'rcn') {
    try {
      geometry = regionGeometry(metadata.model);
    } catch (e) {
      throw new CheckpointError('CHECKPOINT_INVALID', `${metaPath}: model: ${(e as Error).message}`);
    }
  }
  return {
    method: metadata.method,
    metadata,
    normalization: checkpointNormalization(metadata),
    input,
    geometry,
    dataset: metadata.dataset ?? null,
  };
}
