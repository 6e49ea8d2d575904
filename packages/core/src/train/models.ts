/** Builds the model of a training method; every method shares the FewShotModel interface and harness. */
import {
  readCheckpoint,
  type CheckpointMetadata,
  type ModelConfig,
  type ModelConfigInput,
  ProtoNet,
  RCN,
  RelationNet,
  type FewShotModel,
} from '../model/index.js';
import type { Method } from './types.js';

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

/** Any method's checkpoint as a ready model: the method is read from the metadata (`extra.method`). */
export async function loadModelCheckpoint(
  dir: string,
  override: Partial<ModelConfig> = {},
): Promise<{ model: FewShotModel; method: Method; metadata: CheckpointMetadata }> {
  const { metadata, weights } = await readCheckpoint(dir);
  const method = (metadata.extra?.method as Method | undefined) ?? 'rcn';
  const model = createModel(method, { ...metadata.model, ...override });
  try {
    model.setWeights(weights);
  } catch (e) {
    model.dispose();
    throw new Error(`${dir}: weights do not fit a ${method} model (${(e as Error).message})`);
  }
  return { model, method, metadata };
}
