/**
 * The HTTP layer: Node's http server, Apollo at /graphql (through its integration API, no framework),
 * dataset images at /images/..., rendered PNGs at /files/<sha256>.png, checkpoint files at
 * /checkpoints/... (checkpoint-files.ts), and /health.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { encodePng, type FewShotDataset } from '@rcn/core';
import type { Context, Services } from '../graphql/context.js';
import { ErrorCode } from '../graphql/errors.js';
import { serveCheckpointFile } from './checkpoint-files.js';
import { errorMessage } from '../util/errors.js';

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.pause();
        reject(new BodyTooLarge());
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** An error in GraphQL's response shape, for failures before Apollo sees the request. */
function sendGraphQLError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  sendJson(
    res,
    status,
    { errors: [{ message, extensions: { code, ...extra } }] },
    status === 413 ? { connection: 'close' } : {},
  );
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  // Compared as hashes so that the comparison time says nothing about the token.
  const a = createHash('sha256').update(m[1].trim()).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

function sendPng(
  req: IncomingMessage,
  res: ServerResponse,
  png: Buffer,
  cacheControl: string,
  etag?: string,
): void {
  const tag = etag ?? `"${createHash('sha256').update(png).digest('hex').slice(0, 32)}"`;
  const headers = { etag: tag, 'cache-control': cacheControl, 'x-content-type-options': 'nosniff' };
  if (req.headers['if-none-match'] === tag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': 'image/png', 'content-length': png.length });
  res.end(req.method === 'HEAD' ? undefined : png);
}

const notFoundJson = (res: ServerResponse, message: string) =>
  sendJson(res, 404, { error: { code: ErrorCode.NOT_FOUND, message } });

const idSets = new WeakMap<FewShotDataset, Set<string>>();
function imageIdsOf(ds: FewShotDataset): Set<string> {
  let ids = idSets.get(ds);
  if (!ids) {
    ids = new Set(ds.classes.flatMap((c) => c.imageIds));
    idSets.set(ds, ids);
  }
  return ids;
}

async function serveDatasetImage(
  req: IncomingMessage,
  res: ServerResponse,
  services: Services,
  parts: string[],
): Promise<void> {
  if (parts.length !== 3 || !parts[2].endsWith('.png'))
    return notFoundJson(res, 'expected /images/<dataset>/<split>/<imageId>.png');
  let dataset: string, split: string, imageId: string;
  try {
    [dataset, split, imageId] = [
      decodeURIComponent(parts[0]),
      decodeURIComponent(parts[1]),
      decodeURIComponent(parts[2].slice(0, -4)),
    ];
  } catch {
    return sendJson(res, 400, { error: { code: ErrorCode.BAD_USER_INPUT, message: 'bad URL encoding' } });
  }
  let ds: FewShotDataset;
  try {
    ds = await services.datasets.split(dataset, split);
  } catch (e) {
    return notFoundJson(res, errorMessage(e));
  }
  // Only ids the dataset lists are read: the id never reaches the file system otherwise.
  if (!imageIdsOf(ds).has(imageId)) return notFoundJson(res, `no image '${imageId}' in ${dataset}/${split}`);
  const pixels = await ds.getImage(imageId);
  const png = await encodePng({
    data: pixels,
    width: ds.shape.width,
    height: ds.shape.height,
    channels: ds.shape.channels,
  });
  sendPng(req, res, png, 'public, max-age=86400');
}

async function serveFile(
  req: IncomingMessage,
  res: ServerResponse,
  services: Services,
  name: string,
): Promise<void> {
  const path = services.pngs.path(name);
  if (!path) return notFoundJson(res, 'expected /files/<sha256>.png');
  let png: Buffer;
  try {
    png = await readFile(path);
  } catch {
    return notFoundJson(res, `no file ${name}`);
  }
  // The name is the content's hash: the response can never change.
  sendPng(req, res, png, 'public, max-age=31536000, immutable', `"${name.slice(0, 64)}"`);
}

async function handleGraphQL(
  req: IncomingMessage,
  res: ServerResponse,
  apollo: ApolloServer<Context>,
  services: Services,
  url: URL,
): Promise<void> {
  let body: string;
  try {
    body = req.method === 'POST' ? await readBody(req, services.config.limits.maxBodyBytes) : '';
  } catch (e) {
    if (e instanceof BodyTooLarge) {
      return sendGraphQLError(
        res,
        413,
        ErrorCode.PAYLOAD_TOO_LARGE,
        `request body is over the limit of ${services.config.limits.maxBodyBytes} bytes`,
        {
          limit: services.config.limits.maxBodyBytes,
        },
      );
    }
    throw e;
  }
  const headers = new HeaderMap();
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  let parsed: unknown = body;
  if (body && (headers.get('content-type') ?? '').includes('application/json')) {
    try {
      parsed = JSON.parse(body) as unknown;
    } catch {
      return sendGraphQLError(res, 400, 'BAD_REQUEST', 'request body is not valid JSON');
    }
  }
  const authorized = tokenMatches(req.headers.authorization, services.config.token);
  const result = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body: parsed },
    context: async () => ({ services, authorized, client: req.socket.remoteAddress ?? 'unknown' }),
  });
  const out: Record<string, string> = {};
  for (const [k, v] of result.headers) out[k] = v;
  res.writeHead(result.status ?? 200, out);
  if (result.body.kind === 'complete') res.end(result.body.string);
  else {
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

export function createHttpServer(apollo: ApolloServer<Context>, services: Services): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    const route = async () => {
      if (url.pathname === '/graphql') return handleGraphQL(req, res, apollo, services, url);
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return sendJson(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'GET only' } });
      if (url.pathname === '/health') return sendJson(res, 200, { ok: true });
      if (parts[0] === 'images') return serveDatasetImage(req, res, services, parts.slice(1));
      if (parts[0] === 'files' && parts.length === 2) return serveFile(req, res, services, parts[1]);
      if (parts[0] === 'checkpoints') return serveCheckpointFile(req, res, services, parts.slice(1));
      return notFoundJson(res, `no route ${url.pathname}; GraphQL is at /graphql`);
    };
    route().catch((e: unknown) => {
      // The server keeps serving: one request's failure ends that request only.
      if (!res.headersSent)
        sendJson(res, 500, { error: { code: ErrorCode.INTERNAL_SERVER_ERROR, message: errorMessage(e) } });
      else res.destroy();
    });
  });
}
