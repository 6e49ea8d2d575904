/**
 * Server-side configuration of the dashboard (read at request time, so `next start` picks up the
 * environment it is started with, not the one it was built with).
 *
 * - `RCN_API_URL`: the API's GraphQL endpoint (default http://127.0.0.1:4000/graphql). Images and
 *   rendered PNGs are fetched from the same origin (`/images/...`, `/files/...`).
 * - `RCN_API_TOKEN`: bearer token the proxy adds for browsers logged in with it (see lib/session.ts);
 *   never for anonymous callers.
 */
export const DEFAULT_API_URL = 'http://127.0.0.1:4000/graphql';

export function apiGraphqlUrl(): string {
  return process.env.RCN_API_URL || DEFAULT_API_URL;
}

/** The API's origin (scheme, host, port), where `/images` and `/files` live. */
export function apiOrigin(): string {
  return new URL(apiGraphqlUrl()).origin;
}

export function apiToken(): string | undefined {
  return process.env.RCN_API_TOKEN || undefined;
}
