/**
 * The campaign and the zoo through the built CLI, in a repository of the test's own: `campaign run --commit`
 * trains, tests and publishes a stage and commits the state to continue from; `campaign status` and `zoo`
 * report it; with no --checkpoint, `predict` takes the zoo's model for images like the supports, and says
 * when the zoo has none; a zoo model is evaluated by name with its report kept out of the zoo.
 * Real data: tiny-imagenet-32.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireSharedData, tinyCampaign } from '@rcn/test-utils';
import { encodeNetpbm } from '@rcn/core';

const main = resolve(fileURLToPath(new URL('../dist/main.js', import.meta.url)));
const { available: haveData, dir: dataDir } = requireSharedData('tiny-imagenet-32');
const tinyDir = join(dataDir, 'tiny-imagenet-32');

describe.skipIf(!haveData)('campaign and zoo commands', () => {
  let root: string;
  const zoo = () => join(root, 'zoo');
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [main, ...args], {
      encoding: 'utf8',
      cwd: root,
      env: { ...process.env, RCN_BACKEND: 'wasm', RCN_DATA_DIR: dataDir, RCN_ZOO_DIR: zoo(), ...env },
    });
  const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' });

  beforeAll(async () => {
    root = await tinyCampaign('rcn-cli-campaign-', {
      zoo: 'tiny-{method}-5w1s',
      methods: ['rcn'],
      episodes: 4,
      eval: '[{ split: test, query: 2, episodes: 3 }]',
    });
    git('init', '-q');
    git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'start');
    // Images for predict: two colour classes from the test split, and grey strokes.
    const rows = [
      ['n01443537', 'n01443537_0.JPEG', 'n01443537_1.JPEG'],
      ['n01629819', 'n01629819_0.JPEG', 'n01629819_1.JPEG'],
    ];
    for (const [cls, a, b] of rows) {
      await mkdir(join(root, 'colour', 'support', cls), { recursive: true });
      await mkdir(join(root, 'colour', 'query', cls), { recursive: true });
      await copyFile(join(tinyDir, 'images', a), join(root, 'colour', 'support', cls, a));
      await copyFile(join(tinyDir, 'images', b), join(root, 'colour', 'query', cls, b));
    }
    const grey = new Uint8Array(28 * 28).fill(250);
    for (let i = 60; i < 500; i += 29) grey[i] = 0;
    for (const c of ['x', 'y']) {
      await mkdir(join(root, 'grey', c), { recursive: true });
      await writeFile(
        join(root, 'grey', c, '1.pgm'),
        encodeNetpbm({ width: 28, height: 28, channels: 1, data: grey }),
      );
    }
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('runs the campaign, publishes the model and commits the state to continue from', () => {
    const env = {
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    };
    const r = cli(['campaign', 'run', '--file', 'campaign/campaign.yaml', '--commit'], env);
    expect(r.stderr).toContain('tiny: cell tiny_method-rcn_seed0 from episode 0');
    expect(r.stderr).toMatch(/zoo: published tiny-rcn-5w1s \(test \d+\.\d+%\)/);
    expect(r.status, r.stderr).toBe(0);
    expect(git('log', '-1', '--format=%s')).toMatch(/^campaign: complete; zoo: tiny-rcn-5w1s/);
    const files = git('show', '--name-only', '--format=', 'HEAD').trim().split('\n');
    for (const f of [
      'campaign/runs/tiny_method-rcn_seed0/checkpoints/latest/trainer-state.json',
      'campaign/runs/tiny_method-rcn_seed0/metrics.jsonl',
      'campaign/runs/sweeps/tiny.json',
      'zoo/tiny-rcn-5w1s/card.json',
      'zoo/tiny-rcn-5w1s/weights.bin',
    ])
      expect(files).toContain(f);
    expect(git('status', '--porcelain', '--', 'campaign/runs', 'zoo')).toBe('');

    const status = cli(['campaign', 'status', '--file', 'campaign/campaign.yaml', '--json']);
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual([
      expect.objectContaining({
        id: 'tiny_method-rcn_seed0',
        state: 'done',
        published: true,
        zooName: 'tiny-rcn-5w1s',
      }),
    ]);
    const md = cli(['campaign', 'status', '--file', 'campaign/campaign.yaml', '--markdown']);
    expect(md.stdout).toMatch(
      /^\| tiny_method-rcn_seed0 \| done \| 4 \| \d+\.\d+ \(ep\. \d\) \| [\d.]+ h \| \d+\.\d+ ± \d+\.\d+ \| `tiny-rcn-5w1s` \|$/m,
    );
    const list = cli(['zoo']);
    expect(list.stdout).toMatch(/^tiny-rcn-5w1s +tiny-imagenet-32\/test: 5w1s \d+\.\d+ ± \d+\.\d+%/m);
    const show = cli(['zoo', 'show', 'tiny-rcn-5w1s']);
    expect(JSON.parse(show.stdout)).toMatchObject({
      name: 'tiny-rcn-5w1s',
      method: 'rcn',
      dataset: 'tiny-imagenet-32',
    });
    expect(cli(['zoo', 'show', 'nope']).stderr).toMatch(/no model 'nope' \(models: tiny-rcn-5w1s\)/);
  });

  it('publishes a finished run into a zoo by hand, and refuses runs that are not finished or tested', async () => {
    const other = join(root, 'other-zoo');
    const run = join(root, 'campaign', 'runs', 'tiny_method-rcn_seed0');
    const r = cli([
      'zoo',
      'publish',
      'mine',
      '--run',
      run,
      '--command',
      'pnpm cli train ...',
      '--zoo-dir',
      other,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^published mine: 5w1s \d+\.\d+%/);
    const card = JSON.parse(await readFile(join(other, 'mine', 'card.json'), 'utf8'));
    expect(card).toMatchObject({ name: 'mine', command: 'pnpm cli train ...', method: 'rcn' });
    expect(cli(['zoo', 'publish', 'mine', '--zoo-dir', other]).stderr).toMatch(
      /--run <run folder> is required/,
    );
    const untested = join(root, 'untested');
    await cp(run, untested, { recursive: true });
    await rm(join(untested, 'evaluations'), { recursive: true });
    const bad = cli(['zoo', 'publish', 'x', '--run', untested, '--command', 'c', '--zoo-dir', other]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/untested: no test evaluation of checkpoints\/best/);
    expect(existsSync(join(other, 'x'))).toBe(false);
  });

  it('predicts with the zoo model for the images when no checkpoint is given, and says when none fits', () => {
    const r = cli(['predict', '--support', 'colour/support', '--query', 'colour/query', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('checkpoint: zoo:tiny-rcn-5w1s from the model zoo');
    const out = JSON.parse(r.stdout) as { queries: { file: string; predicted: string }[] };
    expect(out.queries).toHaveLength(2);
    const grey = cli(['predict', '--support', 'grey', '--query', 'grey/x']);
    expect(grey.status).toBe(2);
    expect(grey.stderr).toMatch(/no checkpoint given and the model zoo has none for grey images/);
  });

  it('evaluates a zoo model by name, its report under the runs folder, never in the zoo', async () => {
    const runs = join(root, 'my-runs');
    const r = cli(
      ['eval', '--checkpoint', 'tiny-rcn-5w1s', '--split', 'test', '--episodes', '2', '--query', '2'],
      {
        RCN_RUNS_DIR: runs,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const reports = await readdir(join(runs, 'zoo', 'tiny-rcn-5w1s', 'evaluations'));
    expect(reports).toHaveLength(1);
    expect(existsSync(join(zoo(), 'tiny-rcn-5w1s', 'evaluations'))).toBe(false);
    expect(git('status', '--porcelain', '--', 'zoo')).toBe('');
  });
});
