/**
 * `/session`: log in (POST `{ "token": "..." }`: the API token, exchanged for an http-only session cookie),
 * log out (DELETE), and whether this browser is logged in (GET).
 */
import { apiToken } from '@/lib/server-config';
import { isApiToken, newSessionValue, sessionCookie, sessionOf, validSession } from '@/lib/session';

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
  let token: unknown;
  try {
    token = ((await req.json()) as { token?: unknown }).token;
  } catch {
    token = undefined;
  }
  if (typeof token !== 'string' || !token || token.length > 1000 || !isApiToken(token))
    return Response.json(
      { error: { code: 'UNAUTHENTICATED', message: 'wrong token' } },
      { status: 401, headers: { 'cache-control': 'no-store' } },
    );
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
