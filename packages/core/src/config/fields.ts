/** Building blocks of the configuration schemas: bounded integers with the messages users have always seen. */
import { z } from 'zod';

/** An integer option: its default and bounds, for the schema and for help texts. */
export interface IntField {
  doc: string;
  /** None: decided elsewhere (the image side is the dataset's). */
  default?: number;
  min: number;
  max: number;
}

/**
 * Bounds of one episode, for training and evaluation alike. Far above any sensible experiment, they exist
 * so that a typo is refused with the field's name instead of dying deep inside an allocation.
 */
export const EPISODE_LIMITS = {
  maxWay: 200,
  maxShot: 100,
  maxQuery: 500,
  /** Images in one episode, way x (shot + query). */
  maxEpisodeImages: 10_000,
  /** Validation or evaluation episodes. */
  maxEvalEpisodes: 100_000,
} as const;

/** A value as an error message quotes it. */
export const formatConfigValue = (v: unknown): string =>
  typeof v === 'string' ? `'${v}'` : JSON.stringify(v);

/** A number (a string such as "5" from a YAML file is refused, naming what was given). */
export const numberSchema = () =>
  z.number({ error: (i) => `expected a number, got ${formatConfigValue(i.input)}` });

/** A non-empty string (a name, a split, a folder). */
export const nameSchema = () =>
  z
    .string({ error: (i) => `expected a string, got ${formatConfigValue(i.input)}` })
    .min(1, { error: 'expected a non-empty string' });

/** An integer in [min, max]: `expected an integer >= min, got v` / `v is over the limit of max`. */
export function boundedIntSchema(min: number, max: number) {
  return numberSchema().superRefine((v, ctx) => {
    if (!Number.isInteger(v) || v < min)
      ctx.addIssue({ code: 'custom', message: `expected an integer >= ${min}, got ${v}` });
    else if (v > max) ctx.addIssue({ code: 'custom', message: `${v} is over the limit of ${max}` });
  });
}

/** The schema of an integer field with its default. */
export const intFieldSchema = (f: IntField & { default: number }) =>
  boundedIntSchema(f.min, f.max).default(f.default);

/** One of a fixed set of names: `unknown <what> 'x'; expected one of a, b, c`. */
export const oneOfSchema = <const T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z.enum(values, {
    error: (i) =>
      `unknown ${what ? `${what} ` : ''}${formatConfigValue(i.input)}; expected one of ${values.join(', ')}`,
  });

/** Help text of an integer option: what it is, its default and its bounds. */
export function intFieldHelp(
  f: IntField,
  def = f.default === undefined ? undefined : String(f.default),
): string {
  const bound = f.max === Number.MAX_SAFE_INTEGER ? `>= ${f.min}` : `${f.min}..${f.max}`;
  return `${f.doc} (${def === undefined ? '' : `default ${def}; `}${bound})`;
}
