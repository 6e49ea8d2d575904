/**
 * One set of folders for the whole workspace: the same from every package folder, overridden in the
 * documented order, with a per-user fallback where no workspace is found. Fixture workspaces are written
 * into temp folders; the real checkout is used read-only.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { launchDir, resolvePaths } from '../../src/paths/index.js';
import { devTokenPath, findWorkspaceRoot, workspaceRoot } from '../../src/paths/workspace.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const temps: string[] = [];
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'rcn-paths-'));
  temps.push(d);
  return d;
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake checkout `<parent>/repo` (with `shared/data` beside it when `shared`). */
function fakeWorkspace(shared: boolean, name = 'rcn-studio'): string {
  const parent = temp();
  const root = join(parent, 'repo');
  mkdirSync(join(root, 'apps', 'api', 'src'), { recursive: true });
  writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - apps/*\n');
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name }));
  if (shared) mkdirSync(join(parent, 'shared', 'data'), { recursive: true });
  return root;
}

const noEnv: NodeJS.ProcessEnv = {};

describe('workspace root', () => {
  it('is found upwards from any package folder of this checkout', () => {
    expect(findWorkspaceRoot(REPO)).toBe(REPO);
    for (const sub of ['apps/api', 'apps/web/src', 'packages/core/src/paths'])
      expect(findWorkspaceRoot(join(REPO, sub))).toBe(REPO);
  });

  it("ignores another project's pnpm workspace and falls through to the next search folder", () => {
    const other = fakeWorkspace(false, 'someone-else');
    expect(findWorkspaceRoot(join(other, 'apps', 'api'))).toBeUndefined();
    expect(workspaceRoot([join(other, 'apps'), join(REPO, 'apps', 'cli')])).toBe(REPO);
  });
});

describe('resolvePaths', () => {
  it('gives the same data, runs and database from the root and from every package folder', () => {
    const root = fakeWorkspace(true);
    const seen = ['.', 'apps', 'apps/api', 'apps/api/src'].map((sub) =>
      resolvePaths({ env: noEnv, searchFrom: [join(root, sub)], base: join(root, sub) }),
    );
    for (const p of seen) {
      expect(p.root).toBe(root);
      expect(p.runsDir).toEqual({ path: join(root, 'runs'), source: 'workspace' });
      expect(p.dataDir).toEqual({ path: resolve(root, '..', 'shared', 'data'), source: 'workspace' });
      expect(p.dbPath).toEqual({ path: join(root, 'runs', '.rcn-api.sqlite'), source: 'workspace' });
    }
  });

  it('this checkout, searched from the working folder and this module, has its runs at <root>/runs', () => {
    const p = resolvePaths({ env: noEnv });
    expect(p.root).toBe(REPO);
    expect(p.runsDir.path).toBe(join(REPO, 'runs'));
  });

  it('orders flag > environment > config file > workspace default', () => {
    const root = fakeWorkspace(true);
    const base = join(root, 'apps', 'api');
    const env = { RCN_DATA_DIR: '/env/data', RCN_RUNS_DIR: 'env-runs', RCN_API_DB: '/env/db.sqlite' };
    const config = { dataDir: '/cfg/data', runsDir: '/cfg/runs', dbPath: '/cfg/db.sqlite' };
    const flags = { dataDir: 'flag-data', runsDir: '/flag/runs' };
    const all = resolvePaths({ flags, env, config, base, searchFrom: [base] });
    expect(all.dataDir).toEqual({ path: join(base, 'flag-data'), source: 'flag' });
    expect(all.runsDir).toEqual({ path: '/flag/runs', source: 'flag' });
    expect(all.dbPath).toEqual({ path: '/env/db.sqlite', source: 'env' });
    const envOnly = resolvePaths({ env, config, base, searchFrom: [base] });
    // Relative values are the user's: resolved against `base`, not the package folder.
    expect(envOnly.runsDir).toEqual({ path: join(base, 'env-runs'), source: 'env' });
    expect(envOnly.dataDir.source).toBe('env');
    const cfgOnly = resolvePaths({ env: noEnv, config, base, searchFrom: [base] });
    expect(cfgOnly.dataDir).toEqual({ path: '/cfg/data', source: 'config' });
    expect(cfgOnly.runsDir).toEqual({ path: '/cfg/runs', source: 'config' });
    expect(cfgOnly.dbPath).toEqual({ path: '/cfg/db.sqlite', source: 'config' });
    // The database follows the runs folder it indexes unless named.
    const runsOnly = resolvePaths({ env: { RCN_RUNS_DIR: '/r' }, searchFrom: [base] });
    expect(runsOnly.dbPath).toEqual({ path: '/r/.rcn-api.sqlite', source: 'env' });
    // An empty variable is unset, not the working folder.
    expect(resolvePaths({ env: { RCN_RUNS_DIR: '' }, searchFrom: [base] }).runsDir.source).toBe('workspace');
  });

  it('falls back to per-user folders without a workspace, and to the data cache without ../shared/data', () => {
    const home = temp();
    const env = { XDG_CACHE_HOME: join(home, 'cache'), XDG_DATA_HOME: join(home, 'share') };
    const none = resolvePaths({ env, searchFrom: [temp()] });
    expect(none.root).toBeUndefined();
    expect(none.dataDir).toEqual({ path: join(home, 'cache', 'rcn-studio', 'data'), source: 'user' });
    expect(none.runsDir).toEqual({ path: join(home, 'share', 'rcn-studio', 'runs'), source: 'user' });
    expect(none.dbPath.path).toBe(join(home, 'share', 'rcn-studio', 'runs', '.rcn-api.sqlite'));
    const root = fakeWorkspace(false);
    const noShared = resolvePaths({ env, searchFrom: [root] });
    expect(noShared.runsDir.path).toBe(join(root, 'runs'));
    expect(noShared.dataDir).toEqual({ path: join(home, 'cache', 'rcn-studio', 'data'), source: 'user' });
  });

  it('keeps the dev token in the workspace, else per user', () => {
    const root = fakeWorkspace(false);
    expect(devTokenPath(noEnv, [join(root, 'apps')])).toBe(join(root, '.rcn', 'dev-token'));
    expect(devTokenPath({ XDG_CONFIG_HOME: '/x' }, [temp()])).toBe('/x/rcn-studio/dev-token');
  });
});

describe('launchDir', () => {
  it("is pnpm's INIT_CWD only inside the named scripts", () => {
    const d = temp();
    expect(launchDir(['cli'], { INIT_CWD: d, npm_lifecycle_event: 'cli' })).toBe(d);
    expect(launchDir(['cli'], { INIT_CWD: d, npm_lifecycle_event: 'test' })).toBe(process.cwd());
    expect(launchDir(['cli'], { INIT_CWD: join(d, 'gone'), npm_lifecycle_event: 'cli' })).toBe(process.cwd());
    expect(launchDir(['cli'], {})).toBe(process.cwd());
  });
});
