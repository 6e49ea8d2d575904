'use client';
/**
 * The GraphQL client (urql, document cache) and small hooks over it. The browser talks to `/graphql` on
 * the dashboard's own origin; a route handler forwards to the API (see app/graphql/route.ts).
 */
import { useEffect, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import {
  Client,
  Provider,
  cacheExchange,
  fetchExchange,
  useQuery,
  type AnyVariables,
  type DocumentInput,
  type RequestPolicy,
} from 'urql';

export const TOKEN_KEY = 'rcn-api-token';

function makeClient(): Client {
  return new Client({
    url: '/graphql',
    exchanges: [cacheExchange, fetchExchange],
    preferGetMethod: false,
    fetchOptions: () => {
      // A token pasted in the UI (kept in this browser) wins over the server's RCN_API_TOKEN.
      const token = typeof window !== 'undefined' ? window.localStorage.getItem(TOKEN_KEY) : null;
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      return { headers };
    },
  });
}

export function GraphQLProvider({ children }: { children: ReactNode }) {
  const client = useMemo(makeClient, []);
  return <Provider value={client}>{children}</Provider>;
}

const noop = () => () => {};
/** False during server rendering and hydration, true afterwards: data is fetched by the browser only. */
export function useMounted(): boolean {
  return useSyncExternalStore(
    noop,
    () => true,
    () => false,
  );
}

export interface GqlOptions {
  pause?: boolean;
  /** Re-fetch from the network every `pollMs` while set. */
  pollMs?: number | null;
  requestPolicy?: RequestPolicy;
}

/** `useQuery` that waits for the browser, with optional polling. */
export function useGql<Data, Vars extends AnyVariables = AnyVariables>(
  query: DocumentInput<Data, Vars>,
  variables: Vars,
  opts: GqlOptions = {},
) {
  const mounted = useMounted();
  const [result, reexecute] = useQuery<Data, Vars>({
    query,
    variables,
    pause: !mounted || Boolean(opts.pause),
    requestPolicy: opts.requestPolicy ?? 'cache-and-network',
  } as Parameters<typeof useQuery<Data, Vars>>[0]);
  const poll = opts.pollMs && mounted && !opts.pause ? opts.pollMs : null;
  useEffect(() => {
    if (!poll) return;
    const t = setInterval(() => reexecute({ requestPolicy: 'network-only' }), poll);
    return () => clearInterval(t);
  }, [poll, reexecute]);
  return {
    ...result,
    loading: result.fetching && !result.data,
    waiting: !mounted || (result.fetching && !result.data),
    refetch: () => reexecute({ requestPolicy: 'network-only' }),
  };
}

/** The `extensions.code` of a GraphQL error, if any. */
export function errorCode(
  error: { graphQLErrors?: { extensions?: Record<string, unknown> }[] } | undefined | null,
): string | undefined {
  const c = error?.graphQLErrors?.[0]?.extensions?.code;
  return typeof c === 'string' ? c : undefined;
}
