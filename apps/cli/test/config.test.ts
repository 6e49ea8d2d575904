/** Flags to a run's configuration (no training): what `train` records in config.json. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVAL_FIELDS, TRAIN_FIELDS, defaultTrainConfig, type ConfigError } from '@rcn/core';
import { backendOption } from '../src/args.js';
import { evalSettings } from '../src/commands/eval.js';
import { loadTrainFlags, resolveTrainConfig } from '../src/commands/train.js';
import { UsageError } from '../src/exit-codes.js';

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

describe('train --config and the precedence', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rcn-cli-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const yaml = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  it('refuses an unknown YAML key naming the file and the key, with the key it was meant to be', async () => {
    const top = await yaml('top.yaml', 'dataset: tiny-imagenet-32\nepisodez: 100\n');
    await expect(resolveTrainConfig({ config: top })).rejects.toThrow(
      `${top}: episodez: unknown key 'episodez'; did you mean 'episodes'?`,
    );
    const nested = await yaml('nested.yaml', 'model: { backbon: resnet12 }\n');
    await expect(resolveTrainConfig({ config: nested })).rejects.toThrow(
      `${nested}: model.backbon: unknown key 'backbon'; did you mean 'backbone'?`,
    );
    // A bad value in the file names the file and the key too; exit code 2 (a usage error).
    const bad = await yaml('bad.yaml', 'way: 1\n');
    await expect(resolveTrainConfig({ config: bad })).rejects.toBeInstanceOf(UsageError);
    await expect(resolveTrainConfig({ config: bad })).rejects.toThrow(
      `${bad}: way: expected an integer >= 2, got 1`,
    );
  });

  it('flags > RCN_BACKEND > the file > the schema defaults, and says which layer set each value', async () => {
    const file = await yaml('run.yaml', 'way: 4\nshot: 2\nbackend: cpu\nmodel: { backbone: resnet12 }\n');
    const both = await loadTrainFlags({ config: file, way: '3' }, { RCN_BACKEND: 'wasm' });
    expect(both.value).toMatchObject({ way: 3, shot: 2, backend: 'wasm', model: { backbone: 'resnet12' } });
    expect(both.value.query).toBe(TRAIN_FIELDS.query.default);
    expect(both.sources).toMatchObject({
      way: 'flag',
      shot: 'file',
      backend: 'env',
      query: 'default',
      'model.backbone': 'file',
    });
    expect((await loadTrainFlags({ config: file }, {})).value.backend).toBe('cpu');
    expect(
      (await loadTrainFlags({ config: file, backend: 'tensorflow' }, { RCN_BACKEND: 'wasm' })).value.backend,
    ).toBe('tensorflow');
    expect((await loadTrainFlags({}, {})).value.backend).toBe('auto');
    await expect(loadTrainFlags({}, { RCN_BACKEND: 'gpu' })).rejects.toThrow(
      /^backend \(RCN_BACKEND\): unknown backend 'gpu'/,
    );
  });

  it('every command picks the backend the same way: --backend > RCN_BACKEND > auto', () => {
    expect(backendOption('cpu', { RCN_BACKEND: 'wasm' })).toBe('cpu');
    expect(backendOption(undefined, { RCN_BACKEND: 'wasm' })).toBe('wasm');
    expect(backendOption(undefined, {})).toBe('auto');
    expect(() => backendOption(undefined, { RCN_BACKEND: 'gpu' })).toThrow(
      /^backend \(RCN_BACKEND\): unknown backend 'gpu'/,
    );
    expect(() => backendOption('gpu', {})).toThrow(UsageError);
  });

  it('an out-of-range value is refused naming the flag, with the schema message the API gives too', async () => {
    const detail = (() => {
      try {
        defaultTrainConfig({ way: 1 });
      } catch (e) {
        return (e as ConfigError).detail;
      }
    })();
    expect(detail).toBe('expected an integer >= 2, got 1');
    await expect(resolveTrainConfig({ way: '1' })).rejects.toThrow(`--way: ${detail}`);
    await expect(resolveTrainConfig({ imageSize: '100000' })).rejects.toThrow(
      '--image-size: 100000 is over the limit of 512',
    );
    expect(() => evalSettings({ way: '1' })).toThrow(`--way: ${detail}`);
    expect(evalSettings({})).toMatchObject({
      way: EVAL_FIELDS.way.default,
      episodes: EVAL_FIELDS.episodes.default,
    });
  });

  it("--help states the schema's defaults and bounds", () => {
    const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));
    const help = (cmd: string) =>
      spawnSync(process.execPath, [main, cmd, '--help'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    const f = TRAIN_FIELDS.episodes;
    const train = help('train');
    expect(train).toContain(`training episodes (default ${f.default}; ${f.min}..${f.max})`);
    expect(help('train')).toContain(
      `(default ${TRAIN_FIELDS.way.default}; ${TRAIN_FIELDS.way.min}..${TRAIN_FIELDS.way.max})`,
    );
    expect(help('eval')).toContain(`queries per class (default ${EVAL_FIELDS.query.default}; `);
  });
});
