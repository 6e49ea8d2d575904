/** Parsing of numeric flags, shared by every command: a bad value names its flag (exit code 2). */
import { parseBackendName, type BackendName } from '@rcn/core';
import { UsageError } from './exit-codes.js';

/** An integer flag, at least `min`. */
export function intFlag(v: string, flag: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag}: expected an integer >= ${min}, got '${v}'`);
  return n;
}

/** An optional integer flag, range-checked by core's config validation. */
export function optionalInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`${flag}: expected an integer, got '${v}'`);
  return n;
}

/** An optional finite number. */
export function optionalNumber(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`${flag}: expected a number, got '${v}'`);
  return n;
}

/**
 * The backend: `--backend`, else env `RCN_BACKEND`, else `auto` (the documented precedence; core reads no
 * environment). A bad name is a usage error naming the flag or the variable.
 */
export function backendOption(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): BackendName {
  const [value, where] = flag ? [flag, '--backend'] : [env.RCN_BACKEND, 'backend (RCN_BACKEND)'];
  if (!value) return 'auto';
  try {
    return parseBackendName(value, where);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
