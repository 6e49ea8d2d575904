/** Flags to a run's configuration (no training): what `train` records in config.json. */
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { resolveTrainConfig } from '../src/commands/train.js';

describe('train flags', () => {
  it("--omniglot-split lake records Lake's background/evaluation scheme; vinyals is the default", async () => {
    expect(await resolveTrainConfig({ omniglotSplit: 'lake' })).toMatchObject({
      dataset: 'omniglot',
      trainSplit: 'lake-train',
      valSplit: 'lake-val',
    });
    expect(await resolveTrainConfig({})).toMatchObject({ trainSplit: 'train', valSplit: 'val' });
    expect(await resolveTrainConfig({ omniglotSplit: 'vinyals' })).toMatchObject({ trainSplit: 'train' });
    await expect(resolveTrainConfig({ omniglotSplit: 'lak' })).rejects.toThrow(
      "--omniglot-split: expected vinyals or lake, got 'lak'",
    );
  });

  it('a dataset given as a folder path is recorded absolute; a name stays a name', async () => {
    expect((await resolveTrainConfig({ dataset: './my-images' })).dataset).toBe(resolve('my-images'));
    expect((await resolveTrainConfig({ dataset: 'tiny-imagenet-32' })).dataset).toBe('tiny-imagenet-32');
  });
});
