/**
 * Dashboard logins. The dashboard's server holds the API token (RCN_API_TOKEN) but never lends it to an
 * anonymous caller: a person logs in once by typing that token, and gets an http-only session cookie the
 * GraphQL proxy accepts in its place. The cookie is signed with a key derived from the token (an HMAC of
 * its expiry), so it needs no server-side store, survives restarts, and dies when the token changes.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { apiToken } from './server-config';

export const SESSION_COOKIE = 'rcn_session';
/** Twelve hours: a working day, after which the token is asked for again. */
export const SESSION_SECONDS = 12 * 60 * 60;

function key(token: string): Buffer {
  return createHash('sha256').update(`rcn-web-session:${token}`).digest();
}

function sign(token: string, expires: number): string {
  return createHmac('sha256', key(token)).update(`session:${expires}`).digest('base64url');
}

function sameText(a: string, b: string): boolean {
  // Compared as hashes: equal length, and the time taken says nothing about the secret.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** True when `candidate` is the configured API token. */
export function isApiToken(candidate: string): boolean {
  const token = apiToken();
  return !!token && sameText(candidate, token);
}

export function newSessionValue(now = Date.now()): string | null {
  const token = apiToken();
  if (!token) return null;
  const expires = now + SESSION_SECONDS * 1000;
  return `${expires}.${sign(token, expires)}`;
}

export function validSession(value: string | undefined, now = Date.now()): boolean {
  const token = apiToken();
  if (!token || !value) return false;
  const [exp, mac] = value.split('.');
  const expires = Number(exp);
  if (!Number.isSafeInteger(expires) || expires < now || !mac) return false;
  return sameText(mac, sign(token, expires));
}

/** The session cookie of a request (Cookie header), if any. */
export function sessionOf(req: Request): string | undefined {
  const header = req.headers.get('cookie') ?? '';
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return rest.join('=');
  }
  return undefined;
}

/** `Set-Cookie` for a session (empty value and Max-Age 0 to log out). */
export function sessionCookie(req: Request, value: string | null): string {
  const https = new URL(req.url).protocol === 'https:' || req.headers.get('x-forwarded-proto') === 'https';
  return [
    `${SESSION_COOKIE}=${value ?? ''}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${value ? SESSION_SECONDS : 0}`,
    ...(https ? ['Secure'] : []),
  ].join('; ');
}
