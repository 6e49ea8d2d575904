/**
 * `datasets` and the data folder as users arrange it (issue 24): a dataset folder that is a symbolic link
 * (data on another disk) is listed and trains by name; a folder given by path is listed with the files it
 * does not read, as `train --dataset <path>` reports them. Omniglot from the shared data folder, linked;
 * image folders written by the test in binary PGM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireSharedData } from '@rcn/test-utils';
import { encodeNetpbm } from '@rcn/core';

const main = resolve(fileURLToPath(new URL('../dist/main.js', import.meta.url)));
const { available: haveOmniglot, dir: dataDir } = requireSharedData('omniglot');

function cli(args: string[]) {
  return spawnSync(process.execPath, [main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, RCN_BACKEND: 'wasm' },
  });
}

function glyph(c: number, i: number): Uint8Array {
  const data = new Uint8Array(28 * 28).fill(245);
  for (let y = 2 + 2 * c; y < 5 + 2 * c; y++) for (let x = 2 + i; x < 14 + i; x++) data[y * 28 + x] = 10;
  return encodeNetpbm({ width: 28, height: 28, channels: 1, data });
}

interface Listed {
  name: string;
  format: string;
  error?: string;
  skipped?: Record<string, number>;
  summary: { split: string; classes: number; images: number }[];
}

describe('datasets: linked folders and folders given by path', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rcn-datasets-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(!haveOmniglot)('lists a dataset folder that is a symbolic link and trains on it by name', () => {
    const linked = join(dir, 'linked-data');
    mkdirSync(linked);
    symlinkSync(join(dataDir, 'omniglot'), join(linked, 'omniglot'));
    const list = cli(['datasets', '--data-dir', linked, '--json']);
    expect(list.status, list.stderr).toBe(0);
    const found = (JSON.parse(list.stdout) as { datasets: Listed[] }).datasets;
    const omniglot = found.find((d) => d.name === 'omniglot');
    expect(omniglot, list.stdout).toMatchObject({ format: 'omniglot' });
    expect(omniglot!.summary.find((s) => s.split === 'train')?.classes).toBeGreaterThan(1000);

    const runs = join(dir, 'runs');
    const t = cli([
      'train',
      '--data-dir',
      linked,
      '--dataset',
      'omniglot',
      '--way',
      '2',
      '--query',
      '1',
      '--val-query',
      '1',
      '--episodes',
      '1',
      '--val-episodes',
      '1',
      '--runs-dir',
      runs,
      '--json',
    ]);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).not.toMatch(/not found|fetching/);
    expect(JSON.parse(t.stdout.trim().split('\n').at(-1)!)).toMatchObject({ status: 'finished', episode: 1 });
  });

  it('lists a folder given by path with the files it does not read, as train reports them', () => {
    const mine = join(dir, 'photos');
    for (let c = 0; c < 4; c++) {
      mkdirSync(join(mine, `k${c}`), { recursive: true });
      for (let i = 0; i < 3; i++) writeFileSync(join(mine, `k${c}`, `${i}.pgm`), glyph(c, i));
    }
    writeFileSync(join(mine, 'k0', 'IMG_1.HEIC'), 'x');
    writeFileSync(join(mine, 'k2', 'IMG_2.heic'), 'x');
    writeFileSync(join(mine, 'k3', 'notes.txt'), 'x');
    const r = cli(['datasets', mine, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [d] = (JSON.parse(r.stdout) as { datasets: Listed[] }).datasets;
    expect(d).toMatchObject({ name: mine, format: 'image-folder', skipped: { '.heic': 2, '.txt': 1 } });
    expect(d.summary.find((s) => s.split === 'all')).toEqual({ split: 'all', classes: 4, images: 12 });
    const text = cli(['datasets', mine]);
    expect(text.stdout).toMatch(/warning: 3 files not read \(\.heic x2, \.txt x1\)/);
    // train names the same files for the same folder.
    const warned = cli([
      'train',
      '--dataset',
      mine,
      '--episodes',
      '1',
      '--runs-dir',
      join(dir, 'runs-photos'),
    ]);
    expect(warned.stderr).toMatch(/warning: .*photos: 3 files not read \(\.heic x2, \.txt x1\)/);
  });
});
