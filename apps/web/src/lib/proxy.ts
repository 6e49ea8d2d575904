/** Forwarding of browser requests to the API, so the browser only ever talks to the dashboard's origin. */
import { apiOrigin } from './server-config';

const PASS_RESPONSE_HEADERS = ['content-type', 'cache-control', 'etag', 'last-modified', 'content-length'];

/** GET/HEAD of a static API path (`/images/...`, `/files/...`), with conditional requests passed through. */
export async function proxyStatic(req: Request): Promise<Response> {
  const url = new URL(req.url);
  const target = `${apiOrigin()}${url.pathname}`;
  const headers: Record<string, string> = {};
  const inm = req.headers.get('if-none-match');
  if (inm) headers['if-none-match'] = inm;
  let res: Response;
  try {
    res = await fetch(target, { method: req.method, headers, cache: 'no-store' });
  } catch (e) {
    return Response.json(
      {
        error: {
          code: 'API_UNREACHABLE',
          message: `cannot reach the API at ${apiOrigin()}: ${(e as Error).message}`,
        },
      },
      { status: 502 },
    );
  }
  const out = new Headers();
  for (const h of PASS_RESPONSE_HEADERS) {
    const v = res.headers.get(h);
    if (v) out.set(h, v);
  }
  return new Response(res.status === 304 || req.method === 'HEAD' ? null : res.body, {
    status: res.status,
    headers: out,
  });
}
