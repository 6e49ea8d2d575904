/**
 * Checkpoint files, read-only, for browsers that run the model themselves (`@rcn/core/browser`'s
 * `fetchCheckpoint`): `/checkpoints/runs/<runId>/<best|latest>/<file>` for every run the `runs` query
 * lists, `/checkpoints/zoo/<name>/<file>` for the model zoo's folders, and `/checkpoints/zoo/` listing the
 * zoo. A file is served only if it is one of the checkpoint's own: `metadata.json`, `model.json` or a
 * weights blob its manifest names; the folder is resolved by the same rules as every other checkpoint
 * reference (no paths from clients, confined to the configured folder after symlinks).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, readdirSync, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeCheckpoint, resolveCheckpointDir } from '@rcn/core';
import type { Services } from '../graphql/context.js';
import { ErrorCode } from '../graphql/errors.js';
import { confine, resolveCheckpoint } from '../services/paths.js';
import { errorMessage } from '../util/errors.js';

const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const FIXED = new Set(['metadata.json', 'model.json']);

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const notFound = (res: ServerResponse, message: string) =>
  send(res, 404, { error: { code: ErrorCode.NOT_FOUND, message } });

/** The blob names `model.json` lists (plain names in the folder; anything else is never served). */
async function blobNames(dir: string): Promise<Set<string>> {
  const manifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as {
    weightsManifest?: { paths?: unknown[] }[];
  };
  const names = new Set<string>();
  for (const g of manifest.weightsManifest ?? [])
    for (const p of g.paths ?? []) if (typeof p === 'string') names.add(p.replace(/^\.\//, ''));
  return names;
}

async function sendFile(req: IncomingMessage, res: ServerResponse, dir: string, file: string): Promise<void> {
  if (!PLAIN_NAME.test(file) || !(FIXED.has(file) || (await blobNames(dir)).has(file)))
    return notFound(
      res,
      `no checkpoint file '${file}' (metadata.json, model.json or a blob model.json names)`,
    );
  const path = join(dir, file);
  let info: Stats;
  try {
    info = await stat(path);
  } catch {
    return notFound(res, `no checkpoint file '${file}'`);
  }
  // `best` and `latest` are replaced while a run trains: revalidate every time, by size and time.
  const etag = `"${createHash('sha256').update(`${dir}\0${file}\0${info.size}\0${info.mtimeMs}`).digest('hex').slice(0, 32)}"`;
  const headers = { etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const body = req.method === 'HEAD' ? null : await readFile(path);
  res.writeHead(200, {
    ...headers,
    'content-type': file.endsWith('.json') ? 'application/json; charset=utf-8' : 'application/octet-stream',
    'content-length': info.size,
  });
  res.end(body);
}

/** The zoo's models: each sub-folder of the zoo folder holding a checkpoint. */
async function zooList(services: Services): Promise<unknown[]> {
  const zoo = services.config.zooDir;
  if (!zoo || !existsSync(zoo)) return [];
  const out: unknown[] = [];
  for (const name of readdirSync(zoo)
    .filter((n) => PLAIN_NAME.test(n))
    .sort()) {
    try {
      const d = await describeCheckpoint(confine(zoo, join(zoo, name), `zoo model '${name}'`));
      out.push({
        name,
        url: `/checkpoints/zoo/${encodeURIComponent(name)}/`,
        method: d.method,
        dataset: d.dataset,
        imageSize: d.input.size,
        backbone: d.metadata.model.backbone,
      });
    } catch {
      // Not a checkpoint folder (or a broken one): not a zoo model.
    }
  }
  return out;
}

/** Handles `/checkpoints/...` (`parts`: the path's segments after `checkpoints`, still URL-encoded). */
export async function serveCheckpointFile(
  req: IncomingMessage,
  res: ServerResponse,
  services: Services,
  parts: string[],
): Promise<void> {
  let p: string[];
  try {
    p = parts.map(decodeURIComponent);
  } catch {
    return send(res, 400, { error: { code: ErrorCode.BAD_USER_INPUT, message: 'bad URL encoding' } });
  }
  try {
    if (p[0] === 'runs' && p.length === 4) {
      const ck = resolveCheckpoint(services.config.runsDir, `${p[1]}/${p[2]}`);
      return await sendFile(req, res, ck.dir, p[3]);
    }
    if (p[0] === 'zoo' && p.length === 1) return send(res, 200, { models: await zooList(services) });
    if (p[0] === 'zoo' && p.length === 3 && services.config.zooDir && PLAIN_NAME.test(p[1])) {
      const zoo = services.config.zooDir;
      let dir: string;
      try {
        dir = resolveCheckpointDir(join(zoo, p[1]));
      } catch {
        return notFound(res, `no zoo model '${p[1]}'`);
      }
      return await sendFile(req, res, confine(zoo, dir, `zoo model '${p[1]}'`), p[2]);
    }
  } catch (e) {
    const code = (e as { extensions?: { code?: string } }).extensions?.code ?? ErrorCode.NOT_FOUND;
    return send(res, code === ErrorCode.NOT_FOUND ? 404 : code === ErrorCode.FORBIDDEN_PATH ? 403 : 400, {
      error: { code, message: services.publicText(errorMessage(e)) },
    });
  }
  return notFound(
    res,
    'expected /checkpoints/runs/<runId>/<best|latest>/<file>, /checkpoints/zoo/<name>/<file> or /checkpoints/zoo/',
  );
}
