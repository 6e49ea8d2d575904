/**
 * `fetchCheckpoint`: a checkpoint folder over HTTP, for the browser (`@rcn/core/browser`) and any other
 * fetch. Any URL under which a checkpoint folder's files are served works: the API's
 * `/checkpoints/runs/<runId>/<best|latest>/`, its zoo models, or a folder on a static host. The files,
 * their checks and their error codes are the on-disk ones (checkpoint-format.ts); the model is built as
 * `openCheckpoint` builds it.
 */
import {
  CHECKPOINT_FILES,
  CheckpointError,
  decodeWeights,
  parseCheckpointMetadata,
  parseWeightsManifest,
} from './checkpoint-format.js';
import { describeMetadata, type MetadataDescription } from './checkpoint-description.js';
import type { ModelConfig } from '../config.js';
import { checkpointModel } from './checkpoint-model.js';
import type { FewShotModel } from '../types.js';

/** The part of a fetch `Response` the loader reads. */
export interface FetchedResponse {
  ok: boolean;
  status: number;
  statusText: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}
export type FetchFunction = (url: string, init?: { signal?: AbortSignal }) => Promise<FetchedResponse>;

export interface FetchCheckpointOptions {
  /** Default: the global `fetch`. */
  fetch?: FetchFunction;
  signal?: AbortSignal;
  /** Model settings to change after loading (as `openCheckpoint`'s `override`). */
  override?: Partial<ModelConfig>;
}

export interface FetchedCheckpoint extends MetadataDescription {
  /** The folder's absolute URL, ending in `/`. */
  url: string;
  model: FewShotModel;
  /** Bytes of the files as delivered to this code (after any content encoding). */
  bytes: number;
  dispose(): void;
}

/** `url` as an absolute folder URL; a relative one resolves against the page in a browser. */
function folderUrl(url: string): URL {
  const page = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(url.endsWith('/') ? url : `${url}/`, page);
  } catch {
    throw new CheckpointError('CHECKPOINT_NOT_FOUND', `${url}: not a URL (a relative URL needs a page)`);
  }
}

/**
 * A blob path of the manifest, resolved inside the folder: a manifest naming another origin or a path
 * out of the folder is refused rather than followed.
 */
function blobUrl(base: URL, path: string, manifest: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith('/') || path.split('/').includes('..'))
    throw new CheckpointError('CHECKPOINT_INVALID', `${manifest}: weights path '${path}' leaves the folder`);
  return new URL(path, base).href;
}

/** Fetches the checkpoint folder at `url` and builds its model (see the module comment). */
export async function fetchCheckpoint(
  url: string,
  opts: FetchCheckpointOptions = {},
): Promise<FetchedCheckpoint> {
  const base = folderUrl(url);
  const get = opts.fetch ?? (globalThis.fetch as FetchFunction);
  let bytes = 0;
  const load = async (href: string): Promise<FetchedResponse> => {
    let res: FetchedResponse;
    try {
      res = await get(href, { signal: opts.signal });
    } catch (e) {
      throw new CheckpointError('CHECKPOINT_NOT_FOUND', `${href}: cannot fetch (${(e as Error).message})`);
    }
    if (!res.ok)
      throw new CheckpointError(
        res.status === 404 ? 'CHECKPOINT_NOT_FOUND' : 'CHECKPOINT_INVALID',
        `${href}: HTTP ${res.status} ${res.statusText}`.trim(),
      );
    return res;
  };
  const text = async (href: string) => {
    const buf = await (await load(href)).arrayBuffer();
    bytes += buf.byteLength;
    return new TextDecoder().decode(buf);
  };
  const metaUrl = new URL(CHECKPOINT_FILES.metadata, base).href;
  const manifestUrl = new URL(CHECKPOINT_FILES.manifest, base).href;
  const [metaText, manifestText] = await Promise.all([text(metaUrl), text(manifestUrl)]);
  const metadata = parseCheckpointMetadata(metaText, metaUrl);
  const description = describeMetadata(metadata, metaUrl);
  const weights = await decodeWeights(
    parseWeightsManifest(manifestText, manifestUrl),
    async (path) => {
      const buf = new Uint8Array(await (await load(blobUrl(base, path, manifestUrl))).arrayBuffer());
      bytes += buf.length;
      return buf;
    },
    manifestUrl,
    (paths) => paths.map((p) => new URL(p, base).href).join(', '),
  );
  const model = checkpointModel(metadata, weights, base.href, opts.override);
  return { ...description, url: base.href, model, bytes, dispose: () => model.dispose() };
}
