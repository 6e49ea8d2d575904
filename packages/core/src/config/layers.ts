/**
 * One loader for layered configuration, LibFewShot-style: defaults, then a config file, then the
 * environment, then flags, each layer overriding the ones before it key by key (nested objects merged), and
 * a record of which layer set each value. The layers are the caller's: core reads no environment itself.
 */
import type { z } from 'zod';
import { configErrorFrom } from './errors.js';

/** The documented order, lowest first. Callers pass only the layers they have. */
export const CONFIG_PRECEDENCE = ['default', 'file', 'env', 'flag'] as const;
export type ConfigLayerKind = (typeof CONFIG_PRECEDENCE)[number];

export interface ConfigLayer {
  kind: Exclude<ConfigLayerKind, 'default'>;
  /** Values this layer sets; undefined ones are not set. Nested plain objects merge with lower layers'. */
  values: Record<string, unknown>;
  /**
   * How an error names a field this layer set, as the user wrote it: `--way`, `run.yaml: way`,
   * `RCN_BACKEND`. Default: `<kind>: <field>`.
   */
  name?: (field: string) => string;
}

export interface LoadedConfig<T> {
  value: T;
  /** Dotted field -> the layer that set it (`default` for what the schema filled in). */
  sources: Record<string, ConfigLayerKind>;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function mergeInto(
  target: Record<string, unknown>,
  values: Record<string, unknown>,
  prefix: string,
  owners: Map<string, ConfigLayer>,
  layer: ConfigLayer,
): void {
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    const path = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v)) {
      const below = target[k];
      const into = isPlainObject(below) ? { ...below } : {};
      target[k] = into;
      mergeInto(into, v, path, owners, layer);
      if (!isPlainObject(below)) owners.set(path, layer);
    } else {
      target[k] = v;
      owners.set(path, layer);
    }
  }
}

/** The layer that set `field` or the nearest object above it. */
function ownerOf(field: string, owners: Map<string, ConfigLayer>): ConfigLayer | undefined {
  for (let f = field; f; f = f.includes('.') ? f.slice(0, f.lastIndexOf('.')) : '') {
    const o = owners.get(f);
    if (o) return o;
  }
  return undefined;
}

function leafPaths(v: unknown, prefix = ''): string[] {
  if (!isPlainObject(v)) return [prefix];
  return Object.entries(v).flatMap(([k, x]) => leafPaths(x, prefix ? `${prefix}.${k}` : k));
}

/**
 * Merges the layers (in CONFIG_PRECEDENCE order whatever order they are given in) and parses the result
 * with `schema`, which supplies the defaults, bounds and unknown-key checks. A failure throws a ConfigError
 * naming the field the way the layer that set it does.
 */
export function loadLayeredConfig<S extends z.ZodType>(
  schema: S,
  layers: readonly ConfigLayer[],
): LoadedConfig<z.output<S>> {
  const rank = (l: ConfigLayer) => CONFIG_PRECEDENCE.indexOf(l.kind);
  const ordered = [...layers].sort((a, b) => rank(a) - rank(b));
  const merged: Record<string, unknown> = {};
  const owners = new Map<string, ConfigLayer>();
  for (const layer of ordered) mergeInto(merged, layer.values, '', owners, layer);
  const r = schema.safeParse(merged);
  if (!r.success)
    throw configErrorFrom(r.error, schema, (field) => {
      const o = ownerOf(field, owners);
      if (!o) return field;
      return o.name ? o.name(field) : `${o.kind}: ${field}`;
    });
  const sources: Record<string, ConfigLayerKind> = {};
  for (const path of leafPaths(r.data)) if (path) sources[path] = owners.get(path)?.kind ?? 'default';
  return { value: r.data, sources };
}
