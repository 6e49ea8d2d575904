import type { Backbone } from '../backward/backbone.js';
import type { ModelConfig } from '../config.js';
import type { ParamStore } from '../params.js';
import { Conv4 } from './conv4.js';
import { ResNet12 } from './resnet12.js';

/** The backbone of `cfg`, its parameters created in `store` under `encoder.*`. */
export function createBackbone(store: ParamStore, cfg: ModelConfig): Backbone {
  return cfg.backbone === 'conv4'
    ? new Conv4(store, cfg.widths)
    : new ResNet12(store, cfg.widths, cfg.leakySlope, cfg.dropBlock, cfg.seed);
}
