/**
 * Turning a schema's complaint into one clear error: the field's dotted path, what is wrong with it, and for
 * an unknown key the known key it was probably meant to be.
 */
import type { z } from 'zod';
import { didYouMean } from './did-you-mean.js';

/** A configuration value that failed its schema. `message` is `<where>: <field>: <detail>`. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** Dotted path of the field (`episodes`, `model.backbone`); '' for the whole object. */
    readonly field: string,
    /** What is wrong, without the field (`expected an integer >= 2, got 1`). */
    readonly detail: string,
    /** Who set the value, as the user knows it (`--way`, `run.yaml: way`, `RCN_BACKEND`); default the field. */
    readonly where = field,
  ) {
    super(where ? `${where}: ${detail}` : detail);
  }
}

type AnySchema = z.ZodType;

/**
 * The object schema at `path` inside `schema`, looking through optional / default / nullable wrappers and
 * unions (a sweep's `eval`: one mapping or a list of them; the mapping is the one that has keys).
 */
function objectKeysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  let s: AnySchema | undefined = schema;
  type Def = { innerType?: AnySchema; in?: AnySchema; options?: AnySchema[]; element?: AnySchema };
  const unwrap = (x: AnySchema | undefined): AnySchema | undefined => {
    let cur = x;
    for (let i = 0; cur && i < 16; i++) {
      const def = (cur as { _zod: { def: Def } })._zod.def;
      if (def.innerType) cur = def.innerType;
      else if (def.in) cur = def.in;
      // One mapping or a list of them (a sweep's `eval`): the keys are the mapping's.
      else if (def.options) cur = def.options.map(unwrap).find((o) => o && 'shape' in o) ?? def.options[0];
      else if (def.element) cur = def.element;
      else break;
    }
    return cur;
  };
  for (const p of path) {
    if (typeof p === 'number') continue; // an index into a list: the element's keys
    const inner: Record<string, AnySchema> | undefined = (
      unwrap(s) as { shape?: Record<string, AnySchema> } | undefined
    )?.shape;
    s = inner?.[String(p)];
  }
  const shape = (unwrap(s) as { shape?: Record<string, AnySchema> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

const dotted = (path: readonly PropertyKey[]) => path.map(String).join('.');

/**
 * The first issue as a ConfigError, unknown keys first (a typo makes the intended field look missing, and
 * the typo is what to fix). `where` names the field for the user (a flag, a file, a variable).
 */
export function configErrorFrom(
  error: z.ZodError,
  schema: AnySchema,
  where: (field: string) => string = (f) => f,
): ConfigError {
  const issues = error.issues;
  const unknown = issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown && unknown.code === 'unrecognized_keys') {
    const key = unknown.keys[0];
    const field = dotted([...unknown.path, key]);
    const known = objectKeysAt(schema, unknown.path);
    const hint = didYouMean(key, known);
    const detail = hint
      ? `unknown key '${key}'; did you mean '${hint}'?`
      : `unknown key '${key}'; known keys: ${known.join(', ')}`;
    return new ConfigError(field, detail, where(field));
  }
  const i = issues[0];
  const field = dotted(i.path);
  return new ConfigError(field, i.message, where(field));
}

/** Parses `value` with `schema`; a failure throws the ConfigError of its first issue. */
export function parseConfig<S extends AnySchema>(
  schema: S,
  value: unknown,
  where?: (field: string) => string,
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw configErrorFrom(r.error, schema, where);
}
