/** Builds the model of a few-shot method; every method shares the FewShotModel interface and harness. */
import { CheckpointError, type CheckpointMetadata } from './checkpoint-format.js';
import type { ModelConfig, ModelConfigInput } from './config.js';
import type { WeightMap } from './params.js';
import { ProtoNet } from './protonet.js';
import { RCN } from './rcn.js';
import { RelationNet } from './relationnet.js';
import type { FewShotModel, Method } from './types.js';

export function createModel(method: Method, config: ModelConfigInput): FewShotModel {
  switch (method) {
    case 'rcn':
      return new RCN(config);
    case 'protonet':
      return new ProtoNet(config);
    case 'relationnet':
      return new RelationNet(config);
    default:
      // Methods arrive from checkpoints and config files too, not only from type-checked code.
      throw new Error(`unknown method '${String(method)}'; expected rcn, protonet or relationnet`);
  }
}

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
