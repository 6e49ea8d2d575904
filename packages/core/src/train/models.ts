/** Builds the model of a training method; every method shares the FewShotModel interface and harness. */
import type { ModelConfigInput } from '../model/config.js';
import { ProtoNet } from '../model/protonet.js';
import { RCN } from '../model/rcn.js';
import { RelationNet } from '../model/relationnet.js';
import type { FewShotModel } from '../model/types.js';
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
