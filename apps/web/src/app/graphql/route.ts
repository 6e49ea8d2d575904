/**
 * `/graphql`: the browser's GraphQL endpoint, forwarded to the API. The server's token is added only for a
 * logged-in browser (a valid session cookie, see lib/session.ts); a caller's own `Authorization` header is
 * passed on as it is; anyone else reaches the API anonymously (queries only).
 */
import { apiGraphqlUrl, apiToken } from '@/lib/server-config';
import { sessionOf, validSession } from '@/lib/session';

export const dynamic = 'force-dynamic';

async function forward(req: Request): Promise<Response> {
  const headers: Record<string, string> = { accept: req.headers.get('accept') ?? 'application/json' };
  const ct = req.headers.get('content-type');
  if (ct) headers['content-type'] = ct;
  // Apollo's CSRF prevention wants this on GETs without a JSON content type.
  headers['apollo-require-preflight'] = 'true';
  const auth = req.headers.get('authorization');
  const token = apiToken();
  if (auth) headers.authorization = auth;
  else if (token && validSession(sessionOf(req))) headers.authorization = `Bearer ${token}`;
  const search = new URL(req.url).search;
  let res: Response;
  try {
    res = await fetch(`${apiGraphqlUrl()}${search}`, {
      method: req.method,
      headers,
      body: req.method === 'POST' ? await req.text() : undefined,
      cache: 'no-store',
    });
  } catch (e) {
    const message = `cannot reach the RCN API at ${apiGraphqlUrl()} (${(e as Error).message}); start it with \`pnpm dev\` (API and dashboard) or \`pnpm --filter @rcn/api start\`, or set RCN_API_URL`;
    return Response.json({ errors: [{ message, extensions: { code: 'API_UNREACHABLE' } }] }, { status: 502 });
  }
  return new Response(res.body, {
    status: res.status,
    headers: {
      'content-type': res.headers.get('content-type') ?? 'application/json',
      'cache-control': 'no-store',
    },
  });
}

export const POST = forward;
export const GET = forward;
