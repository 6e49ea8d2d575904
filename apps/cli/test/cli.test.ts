/**
 * The built CLI as a user runs it: train with --json, interrupt with SIGINT (checkpoint saved, exit 130),
 * resume, list runs, evaluate, and the exit codes of bad input. Real data: tiny-imagenet-32.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireSharedData } from '@rcn/test-utils';

const main = resolve(fileURLToPath(new URL('../dist/main.js', import.meta.url)));
const { available: haveData, dir: dataDir } = requireSharedData('tiny-imagenet-32');

const tiny = [
  '--dataset',
  'tiny-imagenet-32',
  '--data-dir',
  dataDir,
  '--backend',
  'wasm',
  '--query',
  '2',
  '--val-query',
  '2',
  '--val-episodes',
  '3',
];

function cli(args: string[]) {
  return spawnSync(process.execPath, [main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, RCN_BACKEND: 'wasm' },
  });
}

describe.skipIf(!haveData)('rcn CLI', () => {
  let runs: string;
  beforeAll(async () => {
    runs = await mkdtemp(join(tmpdir(), 'rcn-cli-'));
  });
  afterAll(async () => {
    await rm(runs, { recursive: true, force: true });
  });

  it('trains with --json: metric events as JSON lines, then the summary; exit 0', () => {
    const r = cli([
      'train',
      ...tiny,
      '--episodes',
      '4',
      '--val-every',
      '2',
      '--runs-dir',
      runs,
      '--run-id',
      'a',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; status?: string });
    expect(lines.filter((l) => l.type === 'val')).toHaveLength(2);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', status: 'finished', episode: 4 });
  });

  it('on SIGINT saves a checkpoint and exits 130; --resume finishes the run', async () => {
    const child = spawn(process.execPath, [
      main,
      'train',
      ...tiny,
      '--episodes',
      '400',
      '--val-every',
      '200',
      '--runs-dir',
      runs,
      '--run-id',
      'b',
      '--json',
    ]);
    let out = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      // Progress lines go to stderr; interrupt once training is under way.
      if (!sent && /train \d+\/400/.test(d.toString())) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    expect(code).toBe(130);
    const summary = JSON.parse(out.trim().split('\n').at(-1)!) as { status: string; episode: number };
    expect(summary.status).toBe('interrupted');
    expect(summary.episode).toBeGreaterThan(0);
    expect(summary.episode).toBeLessThan(400);
    const state = JSON.parse(
      await readFile(join(runs, 'b', 'checkpoints', 'latest', 'trainer-state.json'), 'utf8'),
    ) as {
      progress: { episode: number };
    };
    expect(state.progress.episode).toBe(summary.episode);

    const r = cli([
      'train',
      '--resume',
      join(runs, 'b'),
      '--episodes',
      String(summary.episode + 2),
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      status: 'finished',
      episode: summary.episode + 2,
    });
  });

  it('lists runs and evaluates a run, writing the report into the run', async () => {
    const list = cli(['runs', '--runs-dir', runs, '--json']);
    expect(list.status).toBe(0);
    const ids = (JSON.parse(list.stdout) as { id: string; status: string }[]).map((r) => r.id).sort();
    expect(ids).toEqual(['a', 'b']);
    const r = cli([
      'eval',
      '--checkpoint',
      join(runs, 'a'),
      '--data-dir',
      dataDir,
      '--episodes',
      '6',
      '--query',
      '3',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      accuracy: number;
      ci95: number;
      episodes: number;
      perEpisode: number[];
    };
    expect(report.episodes).toBe(6);
    expect(report.perEpisode).toHaveLength(6);
    expect(report.accuracy).toBeGreaterThanOrEqual(0);
    expect(await readdir(join(runs, 'a', 'evaluations'))).toHaveLength(1);
  });

  it('exits 2 with a message naming the field for bad input', () => {
    const bad = cli(['train', ...tiny, '--way', 'five']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--way: expected an integer/);
    const cfg = cli(['train', '--config', join(runs, 'missing.yaml')]);
    expect(cfg.status).toBe(2);
    expect(cfg.stderr).toMatch(/missing\.yaml: cannot read/);
    const ds = cli(['train', '--dataset', 'nope', '--data-dir', dataDir, '--backend', 'wasm']);
    expect(ds.status).toBe(2);
    expect(ds.stderr).toMatch(/dataset 'nope' not found/);
    expect(cli(['train', '--bogus']).status).toBe(2);
  });

  it('bounds --workers by the machine, and --episodes and --image-size, naming the flag; no run folder is left', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'rcn-cli-bounds-'));
    try {
      const workers = cli(['train', ...tiny, '--workers', '1000', '--episodes', '2', '--runs-dir', empty]);
      expect(workers.status).toBe(2);
      expect(workers.stderr).toContain(`--workers: 1000 is over the limit of ${availableParallelism()}`);
      const episodes = cli(['train', ...tiny, '--episodes', '1e12', '--runs-dir', empty]);
      expect(episodes.status).toBe(2);
      expect(episodes.stderr).toMatch(/--episodes: 1000000000000 is over the limit of 10000000/);
      const size = cli(['train', ...tiny, '--image-size', '100000', '--episodes', '2', '--runs-dir', empty]);
      expect(size.status).toBe(2);
      expect(size.stderr).toMatch(/--image-size: 100000 is over the limit of 512/);
      expect(readdirSync(empty)).toEqual([]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('stops at once on SIGTERM during start-up (exit 130) and leaves no run folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rcn-cli-startup-'));
    try {
      const child = spawn(process.execPath, [
        main,
        'train',
        ...tiny,
        '--episodes',
        '50',
        '--workers',
        String(Math.min(2, availableParallelism())),
        '--runs-dir',
        dir,
        '--run-id',
        'early',
      ]);
      let err = '';
      let sent = false;
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        // The backend line is printed before datasets are opened and workers start.
        if (!sent && err.includes('backend:')) {
          sent = true;
          child.kill('SIGTERM');
        }
      });
      const code = await new Promise<number | null>((res) => child.on('exit', res));
      expect(code, err).toBe(130);
      expect(err).toMatch(/interrupted during start-up/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('shows a run killed with kill -9 as interrupted (owner gone), and resumes it', async () => {
    const child = spawn(process.execPath, [
      main,
      'train',
      ...tiny,
      '--episodes',
      '400',
      '--val-every',
      '200',
      '--runs-dir',
      runs,
      '--run-id',
      'killed',
    ]);
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      if (!sent && /train \d+\/400/.test(d.toString())) {
        sent = true;
        child.kill('SIGKILL');
      }
    });
    await new Promise((res) => child.on('exit', res));
    const raw = JSON.parse(await readFile(join(runs, 'killed', 'status.json'), 'utf8')) as {
      status: string;
      owner: { pid: number };
    };
    // The file itself still says running: only a reader can tell that its owner is gone.
    expect(raw.status).toBe('running');
    expect(raw.owner.pid).toBe(child.pid);
    const list = cli(['runs', '--runs-dir', runs, '--json']);
    expect(list.status, list.stderr).toBe(0);
    const killed = (JSON.parse(list.stdout) as { id: string; status: string; error?: string }[]).find(
      (r) => r.id === 'killed',
    );
    expect(killed?.status).toBe('interrupted');
    expect(killed?.error).toMatch(new RegExp(`pid ${child.pid}\\) is gone`));
    // No checkpoint was saved yet (validation is at 200): resuming restarts it from scratch.
    const r = cli(['train', '--resume', join(runs, 'killed'), '--episodes', '2', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({ status: 'finished', episode: 2 });
  });

  it('lists every run when one status.json is corrupt, that one with its error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rcn-cli-corrupt-'));
    try {
      const config = {
        method: 'rcn',
        dataset: 'x',
        model: { backbone: 'conv4' },
        way: 5,
        shot: 1,
        episodes: 4,
      };
      const t = new Date().toISOString();
      for (const id of ['good', 'bad']) {
        await mkdir(join(dir, id));
        await writeFile(join(dir, id, 'config.json'), JSON.stringify(config));
      }
      await writeFile(
        join(dir, 'good', 'status.json'),
        JSON.stringify({
          id: 'good',
          status: 'finished',
          config,
          episode: 4,
          bestValAccuracy: null,
          bestValCi95: null,
          bestEpisode: null,
          startedAt: t,
          updatedAt: t,
        }),
      );
      await writeFile(join(dir, 'bad', 'status.json'), '{"status": "runn');
      const list = cli(['runs', '--runs-dir', dir, '--json']);
      expect(list.status, list.stderr).toBe(0);
      const byId = new Map(
        (JSON.parse(list.stdout) as { id: string; status: string; error?: string }[]).map((r) => [r.id, r]),
      );
      expect(byId.get('good')?.status).toBe('finished');
      expect(byId.get('bad')?.status).toBe('failed');
      expect(byId.get('bad')?.error).toMatch(/bad\/status\.json: invalid JSON/);
      expect(byId.get('bad')?.error).not.toContain(dir);
      const table = cli(['runs', '--runs-dir', dir]);
      expect(table.status, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/bad\s+failed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lists a dataset with a bad CSV row with its error, and still trains on omniglot', async () => {
    if (!existsSync(join(dataDir, 'omniglot'))) throw new Error(`${dataDir}/omniglot is missing`);
    const dir = await mkdtemp(join(tmpdir(), 'rcn-cli-data-'));
    try {
      await cp(join(dataDir, 'omniglot'), join(dir, 'omniglot'), {
        recursive: true,
        filter: (src) => !src.includes(`${join(dataDir, 'omniglot')}/png`),
      });
      const broken = join(dir, 'broken');
      await mkdir(broken);
      await symlink(join(dataDir, 'tiny-imagenet-32', 'images'), join(broken, 'images'));
      for (const f of ['train.csv', 'val.csv'])
        await writeFile(join(broken, f), await readFile(join(dataDir, 'tiny-imagenet-32', f)));
      await writeFile(join(broken, 'test.csv'), 'filename,label\nno-label-here\n');
      const list = cli(['datasets', '--data-dir', dir, '--json']);
      expect(list.status, list.stderr).toBe(0);
      const found = (JSON.parse(list.stdout) as { datasets: { name: string; error?: string }[] }).datasets;
      expect(found.map((d) => d.name).sort()).toEqual(['broken', 'omniglot']);
      expect(found.find((d) => d.name === 'broken')?.error).toMatch(/test: .*test\.csv.*line 2/);
      expect(found.find((d) => d.name === 'omniglot')?.error).toBeUndefined();
      const text = cli(['datasets', '--data-dir', dir]);
      expect(text.status, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/error: test: /);
      const r = cli([
        'train',
        '--dataset',
        'omniglot',
        '--data-dir',
        dir,
        '--backend',
        'wasm',
        '--episodes',
        '1',
        '--val-episodes',
        '1',
        '--query',
        '1',
        '--val-query',
        '1',
        '--runs-dir',
        join(dir, 'runs'),
        '--json',
      ]);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({ status: 'finished' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
