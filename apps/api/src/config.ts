/**
 * Server configuration: defaults, then an optional JSON file (`RCN_API_CONFIG` or `--config`), then
 * environment variables, each over the one before (core's layered loader). Everything a deployment changes
 * is here; nothing else reads the environment.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  BACKEND_NAMES,
  boundedIntSchema,
  launchDir,
  loadLayeredConfig,
  oneOfSchema,
  resolvePaths,
  defaultZooDir,
  type BackendName,
} from '@rcn/core';
import { parseQueueUrl } from '@rcn/jobs';

export interface Limits {
  /** Deepest selection nesting a query may have. */
  maxDepth: number;
  /** Largest estimated cost (fields x list sizes) of one operation. */
  maxCost: number;
  maxWay: number;
  maxShot: number;
  /** Queries per class. */
  maxQuery: number;
  /** Largest episode index and evaluation episode count. */
  maxEpisodeIndex: number;
  maxEvalEpisodes: number;
  maxTrainEpisodes: number;
  /** Episodes one `prototypicalParts` computation may run. */
  maxPartsEpisodes: number;
  /**
   * (support, query) pairs of an episode `ram` explains: core's explainer compares every support region
   * with every query region of the episode (way*shot x way*query x regions^2 numbers) and keeps it.
   */
  maxRamPairs: number;
  /** Images in one `predict` mutation (supports + queries). */
  maxUploadImages: number;
  /** Bytes of one decoded uploaded image. */
  maxUploadImageBytes: number;
  /** Bytes of one HTTP request body. */
  maxBodyBytes: number;
  /** Training or evaluation jobs running at once (the rest wait, queued). */
  maxConcurrentJobs: number;
  /** Queued plus running jobs accepted. */
  maxQueuedJobs: number;
  /**
   * Model work one operation may ask for, in work units: per inference field, the images it runs through
   * the backbone plus the (support, query) pairs it compares, i.e. way x (shot + query) + (way x shot) x
   * (way x query) per episode (times the episodes of `prototypicalParts`).
   */
  maxWork: number;
  /** Work units one client (remote address) may spend per minute; refilled continuously. */
  clientWorkPerMinute: number;
  /** Model requests one client may have waiting or running at once; more are refused at once. */
  maxClientPending: number;
}

export interface ApiConfig {
  host: string;
  port: number;
  dataDir: string;
  runsDir: string;
  dbPath: string;
  /** Content-addressed cache of rendered PNGs. */
  cacheDir: string;
  /** The model zoo (one checkpoint folder per model, served under /checkpoints/zoo/), or null for none. */
  zooDir: string | null;
  /** Bearer token that mutations require. */
  token: string;
  /** True when the token was generated at start (none configured): it is printed once. */
  tokenGenerated: boolean;
  backend: BackendName;
  /** Worker threads for predictions and RAMs. */
  inferenceWorkers: number;
  /**
   * Queries that run a model (prediction, ram, prototypicalParts) need the token too. Default: on when the
   * server listens on anything but loopback.
   */
  protectInference: boolean;
  /** `redis://host:port`: training and evaluation jobs go through BullMQ to `rcn worker`s; null: embedded. */
  queue: string | null;
  limits: Limits;
  /** Settings not at their default, and which layer set each (`env`, `file`); printed at start. */
  sources?: Record<string, 'env' | 'file'>;
}

export const DEFAULT_LIMITS: Limits = {
  maxDepth: 8,
  maxCost: 50_000,
  maxWay: 20,
  maxShot: 10,
  maxQuery: 20,
  maxEpisodeIndex: 1_000_000,
  maxEvalEpisodes: 2_000,
  maxTrainEpisodes: 200_000,
  maxPartsEpisodes: 300,
  maxRamPairs: 40_000,
  maxUploadImages: 64,
  maxUploadImageBytes: 4 * 1024 * 1024,
  maxBodyBytes: 32 * 1024 * 1024,
  maxConcurrentJobs: 1,
  maxQueuedJobs: 8,
  maxWork: 100_000,
  clientWorkPerMinute: 600_000,
  maxClientPending: 4,
};

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const int = boundedIntSchema;

/**
 * The settings a deployment changes, one schema for the config file and the environment: types, bounds and
 * messages; unknown keys (also inside `limits`) are refused with a did-you-mean.
 */
export const apiSettingsSchema = z
  .strictObject({
    host: z.string().min(1),
    port: int(0, 65535),
    dataDir: z.string().min(1),
    runsDir: z.string().min(1),
    dbPath: z.string().min(1),
    cacheDir: z.string().min(1),
    zooDir: z.string().min(1),
    token: z.string(),
    backend: oneOfSchema(BACKEND_NAMES, 'backend'),
    inferenceWorkers: int(1, 64),
    protectInference: z.boolean({ error: (i) => `expected true or false, got ${JSON.stringify(i.input)}` }),
    queue: z.string(),
    limits: z
      .strictObject(
        Object.fromEntries(
          Object.keys(DEFAULT_LIMITS).map((k) => [k, int(0, Number.MAX_SAFE_INTEGER)]),
        ) as Record<keyof Limits, ReturnType<typeof int>>,
      )
      .partial(),
  })
  .partial();

/** The environment variable of each setting (the folders' are core's paths', see resolvePaths). */
export const API_ENV: Record<string, string> = {
  host: 'RCN_API_HOST',
  port: 'RCN_API_PORT',
  dataDir: 'RCN_DATA_DIR',
  runsDir: 'RCN_RUNS_DIR',
  dbPath: 'RCN_API_DB',
  cacheDir: 'RCN_API_CACHE_DIR',
  zooDir: 'RCN_ZOO_DIR',
  token: 'RCN_API_TOKEN',
  backend: 'RCN_BACKEND',
  inferenceWorkers: 'RCN_API_INFERENCE_WORKERS',
  protectInference: 'RCN_API_PROTECT_INFERENCE',
  queue: 'RCN_QUEUE',
};

const INT_SETTINGS = new Set(['port', 'inferenceWorkers']);

/** Folders: core's resolvePaths reads their variables itself, in the same order. */
const PATH_SETTINGS = new Set(['dataDir', 'runsDir', 'dbPath']);

/** The environment as a layer: numbers and booleans read from their strings; empty means unset. */
function envLayer(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(API_ENV)) {
    const v = env[name];
    if (PATH_SETTINGS.has(key)) continue;
    if (v === undefined || v === '') continue;
    if (INT_SETTINGS.has(key)) out[key] = /^-?\d+$/.test(v.trim()) ? Number(v) : v;
    else if (key === 'protectInference')
      out[key] = /^(1|true|yes|on)$/i.test(v) ? true : /^(0|false|no|off)$/i.test(v) ? false : v;
    else out[key] = v;
  }
  return out;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`config file ${path}: cannot read (${(e as Error).message})`);
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new Error('expected a JSON object');
    return value as Record<string, unknown>;
  } catch (e) {
    throw new Error(`config file ${path}: ${(e as Error).message}`);
  }
}

/** The settings the file or the environment set (folders: as core's resolvePaths chose them). */
function settingSources(
  layers: Record<string, string>,
  paths: Record<'dataDir' | 'runsDir' | 'dbPath', { source: string }>,
): Record<string, 'env' | 'file'> {
  const out: Record<string, 'env' | 'file'> = {};
  for (const [k, v] of Object.entries(layers))
    if (!PATH_SETTINGS.has(k) && (v === 'env' || v === 'file')) out[k] = v;
  for (const k of ['dataDir', 'runsDir', 'dbPath'] as const) {
    const src = paths[k].source;
    if (src === 'env' || src === 'config') out[k] = src === 'env' ? 'env' : 'file';
  }
  return out;
}

/** Resolves the configuration; `env` and `file` are injectable for tests. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, file = env.RCN_API_CONFIG): ApiConfig {
  // Relative paths are the user's: pnpm runs `start`/`dev` in apps/api but records where it was typed.
  const base = launchDir(['start', 'dev'], env);
  const path = file ? resolve(base, file) : undefined;
  // The documented precedence: environment > config file > defaults (there are no flags but --config).
  const { value: f, sources } = loadLayeredConfig(apiSettingsSchema, [
    ...(path
      ? [
          {
            kind: 'file' as const,
            values: readConfigFile(path),
            name: (k: string) => `config file ${path}: ${k}`,
          },
        ]
      : []),
    { kind: 'env', values: envLayer(env), name: (k) => `${k} (${API_ENV[k] ?? k})` },
  ]);
  // Folders follow core's one documented order (environment, config file, workspace, per-user fallback).
  const paths = resolvePaths({ env, config: f, base });
  const dataDir = paths.dataDir.path;
  const runsDir = paths.runsDir.path;
  const dbPath = paths.dbPath.path;
  const token = f.token;
  if (token !== undefined && token.length < 16) throw new Error('API token: use at least 16 characters');
  const host = f.host ?? '127.0.0.1';
  return {
    host,
    protectInference: f.protectInference ?? !isLoopback(host),
    port: f.port ?? 4000,
    dataDir,
    runsDir,
    dbPath,
    cacheDir: resolve(f.cacheDir ?? resolve(runsDir, '.rcn-api-cache')),
    // The zoo sits at the repository root (`zoo/<name>/`), beside the default runs folder (core's rule).
    zooDir: f.zooDir ? resolve(base, f.zooDir) : (defaultZooDir({}) ?? null),
    token: token ?? randomBytes(24).toString('base64url'),
    tokenGenerated: token === undefined,
    backend: f.backend ?? 'auto',
    inferenceWorkers: f.inferenceWorkers ?? 2,
    queue: f.queue ? parseQueueUrl(f.queue) : null,
    limits: { ...DEFAULT_LIMITS, ...f.limits },
    sources: settingSources(sources, paths),
  };
}
