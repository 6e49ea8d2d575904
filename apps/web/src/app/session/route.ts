/**
 * `/session`: log in (POST `{ "token": "..." }`: the API token, exchanged for an http-only session cookie),
 * log out (DELETE), and whether this browser is logged in (GET). Wrong tokens are limited per client with a
 * growing delay (lib/login-limit.ts): 429 with Retry-After while a client must wait.
 */
import { clientOf, LoginLimiter } from '@/lib/login-limit';
import { apiToken } from '@/lib/server-config';
import { isApiToken, newSessionValue, sessionCookie, sessionOf, validSession } from '@/lib/session';

// One limiter for the process, kept across module reloads in development.
const limiter: LoginLimiter = ((globalThis as { rcnLoginLimiter?: LoginLimiter }).rcnLoginLimiter ??=
  new LoginLimiter());

export const dynamic = 'force-dynamic';

export function GET(req: Request): Response {
  return Response.json(
    { loggedIn: validSession(sessionOf(req)), loginAvailable: !!apiToken() },
    { headers: { 'cache-control': 'no-store' } },
  );
}

export async function POST(req: Request): Promise<Response> {
  if (!apiToken())
    return Response.json(
      {
        error: {
          code: 'NO_SERVER_TOKEN',
          message:
            'this dashboard has no RCN_API_TOKEN; send your own token with each request instead (it is kept in this browser)',
        },
      },
      { status: 400 },
    );
  const client = clientOf(req);
  // Refused unchecked while locked: a guess made now tells nothing, right or wrong.
  const waitMs = limiter.wait(client);
  if (waitMs > 0) {
    const seconds = Math.ceil(waitMs / 1000);
    return Response.json(
      {
        error: {
          code: 'RATE_LIMITED',
          message: `too many wrong tokens from this client; try again in ${seconds} s`,
        },
      },
      { status: 429, headers: { 'retry-after': String(seconds), 'cache-control': 'no-store' } },
    );
  }
  let token: unknown;
  try {
    token = ((await req.json()) as { token?: unknown }).token;
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string' || !token || token.length > 1000 || !isApiToken(token)) {
    limiter.fail(client);
    return Response.json(
      { error: { code: 'UNAUTHENTICATED', message: 'wrong token' } },
      { status: 401, headers: { 'cache-control': 'no-store' } },
    );
  }
  limiter.succeed(client);
  return Response.json(
    { loggedIn: true },
    { headers: { 'set-cookie': sessionCookie(req, newSessionValue()), 'cache-control': 'no-store' } },
  );
}

export function DELETE(req: Request): Response {
  return Response.json(
    { loggedIn: false },
    { headers: { 'set-cookie': sessionCookie(req, null), 'cache-control': 'no-store' } },
  );
}
