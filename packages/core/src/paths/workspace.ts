/**
 * Where RCN Studio keeps its data, its runs and the API's database: the one place that decides, for the
 * CLI, the API and `pnpm dev` alike, so that a run trained from one is seen by the others whichever
 * package folder each was started from.
 *
 * Each folder is, in order: a flag (or the caller's explicit value), an environment variable, a config
 * file's value, the workspace default, and a user-level fallback when no workspace is found:
 *
 *   data   --data-dir, RCN_DATA_DIR, dataDir, <root>/../shared/data when it exists, ~/.cache/rcn-studio/data
 *   runs   --runs-dir, RCN_RUNS_DIR, runsDir, <root>/runs,                          ~/.local/share/rcn-studio/runs
 *   db     RCN_API_DB, dbPath, <runs>/.rcn-api.sqlite (it indexes that runs folder)
 *
 * The workspace root is the folder holding this repository's `pnpm-workspace.yaml`, found upwards from the
 * working folder, else from this module's own location (a CLI run from elsewhere still uses its checkout).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The root package's name: tells this workspace from any other pnpm workspace above the working folder. */
export const WORKSPACE_NAME = 'rcn-studio';

export type PathSource = 'flag' | 'env' | 'config' | 'workspace' | 'user';

export interface ResolvedPath {
  path: string;
  /** Which rule chose it (shown by `pnpm dev` and the API at start, so a surprise is visible). */
  source: PathSource;
}

export interface WorkspacePaths {
  /** The workspace root, when one was found. */
  root: string | undefined;
  dataDir: ResolvedPath;
  runsDir: ResolvedPath;
  /** The API's SQLite index of the runs folder. */
  dbPath: ResolvedPath;
}

export interface PathSettings {
  dataDir?: string;
  runsDir?: string;
  dbPath?: string;
}

export interface ResolvePathsOptions {
  /** Command-line flags: the strongest rule. */
  flags?: PathSettings;
  /** Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Values from a config file: below the environment, above the defaults. */
  config?: PathSettings;
  /** Folder that relative values are resolved against (default: the working folder). */
  base?: string;
  /** Folders the workspace root is searched upwards from, first found wins (default: `rootSearch()`). */
  searchFrom?: readonly string[];
}

function isWorkspaceRoot(dir: string): boolean {
  if (!existsSync(join(dir, 'pnpm-workspace.yaml'))) return false;
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    return pkg.name === WORKSPACE_NAME;
  } catch {
    return false;
  }
}

/** Walks up from `start` to this repository's root, or undefined. */
export function findWorkspaceRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (isWorkspaceRoot(dir)) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** Where the workspace root is looked for: the working folder, then this module's own location. */
export function rootSearch(): string[] {
  return [process.cwd(), dirname(fileURLToPath(import.meta.url))];
}

/** The first workspace root found upwards from `searchFrom`, or undefined. */
export function workspaceRoot(searchFrom: readonly string[] = rootSearch()): string | undefined {
  for (const start of searchFrom) {
    const root = findWorkspaceRoot(start);
    if (root) return root;
  }
  return undefined;
}

function userDir(env: NodeJS.ProcessEnv, xdg: string, fallback: string[], ...sub: string[]): string {
  return join(env[xdg] || join(homedir(), ...fallback), 'rcn-studio', ...sub);
}

function pick(
  base: string,
  candidates: [PathSource, string | undefined][],
  fallback: () => ResolvedPath,
): ResolvedPath {
  for (const [source, value] of candidates)
    if (value !== undefined && value !== '') return { path: resolve(base, value), source };
  return fallback();
}

/** Every folder, by the documented order (see the module comment). */
export function resolvePaths(opts: ResolvePathsOptions = {}): WorkspacePaths {
  const env = opts.env ?? process.env;
  const base = opts.base ?? process.cwd();
  const flags = opts.flags ?? {};
  const config = opts.config ?? {};
  const root = workspaceRoot(opts.searchFrom);
  const dataDir = pick(
    base,
    [
      ['flag', flags.dataDir],
      ['env', env.RCN_DATA_DIR],
      ['config', config.dataDir],
    ],
    () => {
      const shared = root && resolve(root, '..', 'shared', 'data');
      return shared && existsSync(shared)
        ? { path: shared, source: 'workspace' }
        : { path: userDir(env, 'XDG_CACHE_HOME', ['.cache'], 'data'), source: 'user' };
    },
  );
  const runsDir = pick(
    base,
    [
      ['flag', flags.runsDir],
      ['env', env.RCN_RUNS_DIR],
      ['config', config.runsDir],
    ],
    () =>
      root
        ? { path: join(root, 'runs'), source: 'workspace' }
        : { path: userDir(env, 'XDG_DATA_HOME', ['.local', 'share'], 'runs'), source: 'user' },
  );
  const dbPath = pick(
    base,
    [
      ['flag', flags.dbPath],
      ['env', env.RCN_API_DB],
      ['config', config.dbPath],
    ],
    () => ({ path: join(runsDir.path, '.rcn-api.sqlite'), source: runsDir.source }),
  );
  return { root, dataDir, runsDir, dbPath };
}

/** The data folder when no flag names one: `RCN_DATA_DIR`, else the workspace default, else per user. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolvePaths({ env }).dataDir.path;
}

/** The runs folder when no flag names one: `RCN_RUNS_DIR`, else `<root>/runs`, else per user. */
export function defaultRunsDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolvePaths({ env }).runsDir.path;
}

/**
 * The token `pnpm dev` gives the API and the dashboard: `<root>/.rcn/dev-token` (git-ignored), else per
 * user, so restarts keep it and a browser that stored it stays signed in.
 */
export function devTokenPath(
  env: NodeJS.ProcessEnv = process.env,
  searchFrom: readonly string[] = rootSearch(),
): string {
  const root = workspaceRoot(searchFrom);
  return root ? join(root, '.rcn', 'dev-token') : userDir(env, 'XDG_CONFIG_HOME', ['.config'], 'dev-token');
}

/**
 * The folder the user typed a command in. `pnpm <script>` runs scripts in the package's folder and records
 * the user's in INIT_CWD; honoured only when the current process is one of `scripts` (so a process that
 * merely inherited INIT_CWD from an outer `pnpm test` keeps its own working folder).
 */
export function launchDir(scripts: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const init = env.INIT_CWD;
  const script = env.npm_lifecycle_event;
  if (init && script && scripts.includes(script)) {
    try {
      if (statSync(init).isDirectory()) return init;
    } catch {
      // gone: fall through
    }
  }
  return process.cwd();
}

/**
 * The model zoo: `RCN_ZOO_DIR`, else `zoo/` at the workspace root (the trained models committed with the
 * repository; it may not exist yet), else none. Unlike data and runs it has no per-user fallback: the zoo
 * ships with the code.
 */
export function defaultZooDir(
  env: NodeJS.ProcessEnv = process.env,
  searchFrom: readonly string[] = rootSearch(),
): string | undefined {
  if (env.RCN_ZOO_DIR) return resolve(env.RCN_ZOO_DIR);
  const root = workspaceRoot(searchFrom);
  return root && join(root, 'zoo');
}

/** Zoo model names: lower-case letters, digits, '.', '_' and '-', as folder names under the zoo. */
export const ZOO_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** Run ids: letters, digits, '.', '_' and '-', as folder names under the runs folder. */
export const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertRunId(id: string): void {
  if (!RUN_ID.test(id))
    throw new Error(`invalid run id '${id}': use letters, digits, '.', '_' and '-' (max 128)`);
}
