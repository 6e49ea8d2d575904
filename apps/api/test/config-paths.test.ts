/**
 * The API's folders are the workspace's, not its package folder's: started in apps/api (as
 * `pnpm --filter @rcn/api start` does), it reads the runs the CLI writes to <root>/runs. Config files and
 * the environment still override, in core's one order.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const API_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(API_ROOT, '..', '..');
const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('API folders', () => {
  it("started in apps/api, defaults to the workspace's runs folder and puts its database there", () => {
    expect(process.cwd()).toBe(API_ROOT); // vitest runs in the package, as pnpm --filter does
    const c = loadConfig({}, undefined);
    expect(c.runsDir).toBe(join(REPO, 'runs'));
    expect(c.dbPath).toBe(join(REPO, 'runs', '.rcn-api.sqlite'));
    expect(c.cacheDir).toBe(join(REPO, 'runs', '.rcn-api-cache'));
  });

  it('environment beats the config file, which beats the workspace default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rcn-api-cfg-'));
    temps.push(dir);
    const file = join(dir, 'api.json');
    writeFileSync(file, JSON.stringify({ runsDir: '/cfg/runs', dataDir: '/cfg/data' }));
    const c = loadConfig({ RCN_DATA_DIR: '/env/data' }, file);
    expect(c.dataDir).toBe('/env/data');
    expect(c.runsDir).toBe('/cfg/runs');
    expect(c.dbPath).toBe('/cfg/runs/.rcn-api.sqlite');
  });

  it('resolves relative folders against where `pnpm ... start` was typed, not apps/api', () => {
    const typedIn = mkdtempSync(join(tmpdir(), 'rcn-api-typed-'));
    temps.push(typedIn);
    const env = { INIT_CWD: typedIn, npm_lifecycle_event: 'start', RCN_RUNS_DIR: 'my-runs' };
    expect(loadConfig(env, undefined).runsDir).toBe(join(typedIn, 'my-runs'));
    // A process that merely inherited INIT_CWD (e.g. from `pnpm test`) keeps its working folder.
    expect(loadConfig({ ...env, npm_lifecycle_event: 'test' }, undefined).runsDir).toBe(
      join(API_ROOT, 'my-runs'),
    );
  });
});
