/**
 * Readers of the schema's JSON scalar fields (run configs, sweep settings, confusion matrices): the schema
 * leaves their shape open, so the dashboard checks what it reads instead of trusting a cast.
 */
export type JsonObject = Record<string, unknown>;

/** A JSON value that should be an object (a run config, a sweep setting); {} when it is not one. */
export function jsonObject(v: unknown): JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : {};
}

export interface Confusion {
  classes: string[];
  /** Rows: true class, columns: predicted class, in `classes` order. */
  matrix: number[][];
}

/** An evaluation's `confusion`, or null when it is absent (withheld above maxClasses) or not that shape. */
export function confusionOf(v: unknown): Confusion | null {
  const o = jsonObject(v);
  const { classes, matrix } = o;
  if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string')) return null;
  if (!Array.isArray(matrix) || matrix.length !== classes.length) return null;
  if (!matrix.every((row) => Array.isArray(row) && row.every((x) => typeof x === 'number'))) return null;
  return { classes, matrix: matrix as number[][] };
}
