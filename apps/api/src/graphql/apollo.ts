/** The Apollo server: schema, resolvers, and the plugin that enforces auth, depth and cost before execution. */
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { DataError } from '@rcn/core';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { Kind, type FragmentDefinitionNode, type GraphQLSchema } from 'graphql';
import type { ApiConfig } from '../config.js';
import { ClientBudget } from './budget.js';
import { ErrorCode, apiError } from './errors.js';
import { measureOperation } from './limits.js';
import { resolvers } from './resolvers/index.js';
import { loadTypeDefs } from './schema.js';
import type { Context } from './context.js';

function guardPlugin(config: ApiConfig): ApolloServerPlugin<Context> {
  const limits = config.limits;
  const budget = new ClientBudget(limits.clientWorkPerMinute, limits.maxClientPending);
  return {
    async requestDidStart() {
      let release: (() => void) | undefined;
      return {
        async didResolveOperation({ operation, document, request, contextValue }) {
          if (!operation) return;
          if (operation.operation === 'mutation' && !contextValue.authorized) {
            throw apiError(
              ErrorCode.UNAUTHENTICATED,
              'mutations need the API token: send the header "Authorization: Bearer <token>"',
            );
          }
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const d of document.definitions)
            if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
          const m = measureOperation(operation, fragments, request.variables ?? {}, limits);
          if (m.work > 0 && config.protectInference && !contextValue.authorized) {
            throw apiError(
              ErrorCode.UNAUTHENTICATED,
              'this server requires the API token for queries that run a model (prediction, ram, prototypicalParts): send "Authorization: Bearer <token>"',
            );
          }
          if (m.depth > limits.maxDepth) {
            throw apiError(
              ErrorCode.QUERY_TOO_DEEP,
              `query depth ${m.depth} is over the limit of ${limits.maxDepth}`,
              { depth: m.depth, limit: limits.maxDepth },
            );
          }
          if (m.cost > limits.maxCost) {
            throw apiError(
              ErrorCode.QUERY_TOO_COSTLY,
              `query cost ${m.cost} is over the limit of ${limits.maxCost}; request fewer items (limit arguments) or fewer fields`,
              {
                cost: m.cost,
                limit: limits.maxCost,
              },
            );
          }
          if (m.work > limits.maxWork) {
            throw apiError(
              ErrorCode.QUERY_TOO_COSTLY,
              `query asks for ${m.work} units of model work (images plus compared support-query pairs), over the limit of ${limits.maxWork} per request; ask for fewer or smaller episodes`,
              { work: m.work, limit: limits.maxWork },
            );
          }
          if (m.work > 0) release = budget.acquire(contextValue.client, m.work);
        },
        async willSendResponse() {
          release?.();
        },
      };
    },
  };
}

/** The executable schema, shared by Apollo (HTTP) and graphql-ws (subscriptions). */
export function createSchema(): GraphQLSchema {
  // The map is typed by types.ts; graphql-tools' own resolver type is looser and structurally different.
  return makeExecutableSchema({
    typeDefs: loadTypeDefs(),
    resolvers: resolvers as unknown as Parameters<typeof makeExecutableSchema>[0]['resolvers'],
  });
}

export function createApollo(
  schema: GraphQLSchema,
  config: ApiConfig,
  redact: (message: string) => string = (m) => m,
): ApolloServer<Context> {
  return new ApolloServer<Context>({
    schema,
    plugins: [guardPlugin(config)],
    // "Did you mean ...?" would describe the schema that production hides from introspection.
    hideSchemaDetailsFromClientErrors: process.env.NODE_ENV === 'production',
    includeStacktraceInErrorResponses: false,
    // main.ts handles SIGINT/SIGTERM and stops everything in order; Apollo's own handler would race it.
    stopOnTerminationSignals: false,
    formatError: (formatted, error) => {
      const out = { ...formatted, message: redact(formatted.message) };
      // Data problems (a class too small for the episode, a missing image) are the request's, not the server's.
      if (
        formatted.extensions?.code === ErrorCode.INTERNAL_SERVER_ERROR &&
        unwrapResolverError(error) instanceof DataError
      ) {
        return { ...out, extensions: { ...formatted.extensions, code: ErrorCode.BAD_USER_INPUT } };
      }
      return out;
    },
  });
}
