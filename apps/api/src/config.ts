/**
 * Server configuration: defaults, then an optional JSON file (`RCN_API_CONFIG` or `--config`), then
 * environment variables. Everything a deployment changes is here; nothing else reads the environment.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { launchDir, parseBackendName, parseQueueUrl, resolvePaths, type BackendName } from '@rcn/core';

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

function boolFrom(value: string | boolean | undefined, field: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new Error(`${field}: expected true or false, got '${value}'`);
}

type FileConfig = Partial<Omit<ApiConfig, 'limits' | 'tokenGenerated'>> & { limits?: Partial<Limits> };

function readConfigFile(path: string): FileConfig {
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
    return value as FileConfig;
  } catch (e) {
    throw new Error(`config file ${path}: ${(e as Error).message}`);
  }
}

function intFrom(
  value: string | number | undefined,
  field: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${field}: expected an integer in [${min}, ${max}], got '${value}'`);
  return n;
}

/** Resolves the configuration; `env` and `file` are injectable for tests. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, file = env.RCN_API_CONFIG): ApiConfig {
  // Relative paths are the user's: pnpm runs `start`/`dev` in apps/api but records where it was typed.
  const base = launchDir(['start', 'dev'], env);
  const f: FileConfig = file ? readConfigFile(resolve(base, file)) : {};
  // Folders follow core's one documented order (environment, config file, workspace, per-user fallback).
  const paths = resolvePaths({ env, config: f, base });
  const dataDir = paths.dataDir.path;
  const runsDir = paths.runsDir.path;
  const dbPath = paths.dbPath.path;
  const token = env.RCN_API_TOKEN ?? f.token;
  if (token !== undefined && token.length < 16) throw new Error('API token: use at least 16 characters');
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(f.limits ?? {})) {
    if (!(k in DEFAULT_LIMITS))
      throw new Error(`config file: unknown limit '${k}' (known: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
    limits[k as keyof Limits] = intFrom(v, `limits.${k}`, 0, Number.MAX_SAFE_INTEGER)!;
  }
  const host = env.RCN_API_HOST ?? f.host ?? '127.0.0.1';
  return {
    host,
    protectInference:
      boolFrom(env.RCN_API_PROTECT_INFERENCE ?? f.protectInference, 'protectInference') ?? !isLoopback(host),
    port: intFrom(env.RCN_API_PORT ?? f.port, 'port', 0, 65535) ?? 4000,
    dataDir,
    runsDir,
    dbPath,
    cacheDir: resolve(env.RCN_API_CACHE_DIR ?? f.cacheDir ?? resolve(runsDir, '.rcn-api-cache')),
    token: token ?? randomBytes(24).toString('base64url'),
    tokenGenerated: token === undefined,
    backend: parseBackendName(env.RCN_BACKEND ?? f.backend ?? 'auto', 'backend'),
    inferenceWorkers:
      intFrom(env.RCN_API_INFERENCE_WORKERS ?? f.inferenceWorkers, 'inferenceWorkers', 1, 64) ?? 2,
    queue: env.RCN_QUEUE || f.queue ? parseQueueUrl((env.RCN_QUEUE || f.queue)!) : null,
    limits,
  };
}
