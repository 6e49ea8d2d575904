/** Builds the model of a few-shot method; every method shares the FewShotModel interface and harness. */
import type { ModelConfigInput } from '../config.js';
import { ProtoNet } from './protonet.js';
import { RCN } from './rcn.js';
import { RelationNet } from './relationnet.js';
import type { FewShotModel, Method } from '../types.js';

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
