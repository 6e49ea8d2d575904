/** GraphQL errors with a stable `extensions.code` (clients branch on the code, people read the message). */
import { GraphQLError } from 'graphql';

export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  QUERY_TOO_DEEP: 'QUERY_TOO_DEEP',
  QUERY_TOO_COSTLY: 'QUERY_TOO_COSTLY',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FORBIDDEN_PATH: 'FORBIDDEN_PATH',
  NOT_AVAILABLE: 'NOT_AVAILABLE',
  CONFLICT: 'CONFLICT',
  SERVER_BUSY: 'SERVER_BUSY',
  RATE_LIMITED: 'RATE_LIMITED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  QUERY_TOO_DEEP: 400,
  QUERY_TOO_COSTLY: 400,
  PAYLOAD_TOO_LARGE: 413,
  SERVER_BUSY: 503,
  RATE_LIMITED: 429,
};

export function apiError(
  code: ErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
): GraphQLError {
  const status = HTTP_STATUS[code];
  return new GraphQLError(message, {
    extensions: { code, ...extra, ...(status ? { http: { status } } : {}) },
  });
}

export const badInput = (message: string, field?: string) =>
  apiError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
export const notFound = (message: string) => apiError(ErrorCode.NOT_FOUND, message);
export const limitExceeded = (message: string, field: string, limit: number) =>
  apiError(ErrorCode.LIMIT_EXCEEDED, message, { field, limit });

/** Integer argument within [min, max], else a LIMIT_EXCEEDED / BAD_USER_INPUT error naming the field. */
export function boundedInt(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value)) throw badInput(`${field} must be an integer, got ${value}`, field);
  if (value < min) throw badInput(`${field} must be >= ${min}, got ${value}`, field);
  if (value > max)
    throw limitExceeded(`${field} = ${value} is over this server's limit of ${max}`, field, max);
  return value;
}
