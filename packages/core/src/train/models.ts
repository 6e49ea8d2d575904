/** Builds the model of a training method; every method shares the FewShotModel interface and harness. */
import type { ModelConfigInput } from '../model/config.js';
import { RCN } from '../model/rcn.js';
import type { FewShotModel } from '../model/types.js';
import type { Method } from './types.js';

export function createModel(method: Method, config: ModelConfigInput): FewShotModel {
  switch (method) {
    case 'rcn':
      return new RCN(config);
    case 'protonet':
    case 'relationnet':
      throw new Error(`method '${method}' is not available in this build yet (see README: baselines)`);
  }
}
