import { createModel } from '../methods/create.js';
import type { ModelConfig } from '../config.js';
import type { WeightMap } from '../params.js';
import type { FewShotModel } from '../types.js';
import { CheckpointError, type CheckpointMetadata } from './checkpoint-format.js';

/**
 * The model a checkpoint's metadata describes, holding its weights (`source` names the checkpoint in
 * errors); weights that do not fit are CHECKPOINT_INVALID. Every loader builds its model here.
 */
export function checkpointModel(
  metadata: CheckpointMetadata,
  weights: WeightMap,
  source: string,
  override: Partial<ModelConfig> = {},
): FewShotModel {
  const model = createModel(metadata.method, { ...metadata.model, ...override });
  try {
    model.setWeights(weights);
  } catch (e) {
    model.dispose();
    throw new CheckpointError(
      'CHECKPOINT_INVALID',
      `${source}: weights do not fit a ${metadata.method} model (${(e as Error).message})`,
    );
  }
  return model;
}
