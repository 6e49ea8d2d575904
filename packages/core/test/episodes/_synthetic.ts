/** An in-memory FewShotDataset for episode tests: pixel values encode (class, image). */
import { type FewShotDataset } from '../../src/data/index.js';
import { REFERENCE_NORM } from '../../src/data/types.js';

export function syntheticDataset(opts: {
  classes: number;
  perClass: number;
  size?: number;
  channels?: 1 | 3;
  name?: string;
  split?: string;
}): FewShotDataset {
  const size = opts.size ?? 8;
  const ch = opts.channels ?? 3;
  const classes = Array.from({ length: opts.classes }, (_, c) => ({
    id: `c${c}`,
    name: `class ${c}`,
    imageIds: Array.from({ length: opts.perClass }, (_, i) => `c${c}/i${i}`),
    source: `/synthetic/c${c}`,
  }));
  return {
    name: opts.name ?? 'synth',
    split: opts.split ?? 'train',
    root: '/synthetic',
    shape: { height: size, width: size, channels: ch },
    classes,
    normalization: REFERENCE_NORM,
    async getImage(id) {
      const [c, i] = id.split('/').map((s) => Number(s.slice(1)));
      return new Uint8Array(size * size * ch).map((_, k) => (c * 17 + i * 3 + k) % 256);
    },
  };
}
