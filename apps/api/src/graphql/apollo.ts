/** The Apollo server: schema, resolvers, and the plugin that enforces auth, depth and cost before execution. */
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { DataError } from '@rcn/core';
import { Kind, type FragmentDefinitionNode } from 'graphql';
import type { Limits } from '../config.js';
import { ErrorCode, apiError } from './errors.js';
import { measureOperation } from './limits.js';
import { resolvers } from './resolvers/index.js';
import { loadTypeDefs } from './schema.js';
import type { Context } from './types.js';

function guardPlugin(limits: Limits): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request, contextValue }) {
          if (!operation) return;
          if (operation.operation === 'mutation' && !contextValue.authorized) {
            throw apiError(ErrorCode.UNAUTHENTICATED, 'mutations need the API token: send the header "Authorization: Bearer <token>"');
          }
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
          const m = measureOperation(operation, fragments, request.variables ?? {});
          if (m.depth > limits.maxDepth) {
            throw apiError(ErrorCode.QUERY_TOO_DEEP, `query depth ${m.depth} is over the limit of ${limits.maxDepth}`, { depth: m.depth, limit: limits.maxDepth });
          }
          if (m.cost > limits.maxCost) {
            throw apiError(ErrorCode.QUERY_TOO_COSTLY, `query cost ${m.cost} is over the limit of ${limits.maxCost}; request fewer items (limit arguments) or fewer fields`, {
              cost: m.cost,
              limit: limits.maxCost,
            });
          }
        },
      };
    },
  };
}

export function createApollo(limits: Limits): ApolloServer<Context> {
  return new ApolloServer<Context>({
    typeDefs: loadTypeDefs(),
    resolvers: resolvers as unknown as NonNullable<ConstructorParameters<typeof ApolloServer<Context>>[0]['resolvers']>,
    plugins: [guardPlugin(limits)],
    includeStacktraceInErrorResponses: false,
    formatError: (formatted, error) => {
      // Data problems (a class too small for the episode, a missing image) are the request's, not the server's.
      if (formatted.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR && unwrapResolverError(error) instanceof DataError) {
        return { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.BAD_USER_INPUT } };
      }
      return formatted;
    },
  });
}
