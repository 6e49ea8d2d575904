/**
 * GraphQL subscriptions over graphql-ws on the HTTP server's /graphql path. Only subscription operations
 * are accepted on a socket (queries and mutations go over HTTP, where auth is enforced), each measured
 * against the same depth and cost limits; connections are capped.
 */
import type { Server } from 'node:http';
import {
  Kind,
  parse,
  validate,
  GraphQLError,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Limits } from '../config.js';
import { ErrorCode } from './errors.js';
import { measureOperation } from './limits.js';
import type { Context, Services } from './context.js';

const MAX_CONNECTIONS = 100;
const MAX_MESSAGE_BYTES = 64 * 1024;

const err = (code: string, message: string) => new GraphQLError(message, { extensions: { code } });

export function attachSubscriptions(
  http: Server,
  schema: GraphQLSchema,
  services: Services,
  limits: Limits,
): { close(): Promise<void> } {
  const wss = new WebSocketServer({ server: http, path: '/graphql', maxPayload: MAX_MESSAGE_BYTES });
  wss.on('connection', (socket) => {
    if (wss.clients.size > MAX_CONNECTIONS) socket.close(1013, 'too many subscription connections');
  });
  const disposable = useServer(
    {
      schema,
      onSubscribe: (_ctx, _id, payload) => {
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (e) {
          return [err('GRAPHQL_PARSE_FAILED', (e as Error).message)];
        }
        const errors = validate(schema, document);
        if (errors.length) return errors;
        const ops = document.definitions.filter(
          (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
        );
        const op = payload.operationName
          ? ops.find((o) => o.name?.value === payload.operationName)
          : ops.length === 1
            ? ops[0]
            : undefined;
        if (!op) return [err(ErrorCode.BAD_USER_INPUT, 'name the operation to run (operationName)')];
        if (op.operation !== 'subscription')
          return [
            err(
              ErrorCode.BAD_USER_INPUT,
              'only subscriptions are served over WebSocket; send queries and mutations over HTTP POST',
            ),
          ];
        const fragments: Record<string, FragmentDefinitionNode> = {};
        for (const d of document.definitions)
          if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
        const variables = payload.variables ?? {};
        const m = measureOperation(op, fragments, variables);
        if (m.depth > limits.maxDepth)
          return [
            err(ErrorCode.QUERY_TOO_DEEP, `query depth ${m.depth} is over the limit of ${limits.maxDepth}`),
          ];
        if (m.cost > limits.maxCost)
          return [
            err(ErrorCode.QUERY_TOO_COSTLY, `query cost ${m.cost} is over the limit of ${limits.maxCost}`),
          ];
        const contextValue: Context = { services, authorized: false, client: 'subscription' };
        return {
          schema,
          document,
          variableValues: variables,
          operationName: payload.operationName,
          contextValue,
        };
      },
    },
    wss,
  );
  return {
    async close() {
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
