import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse, print } from 'graphql';
import type { RunMetricsFieldsFragment } from '@/gql/graphql';
import { RUN_METRICS_FIELDS } from './queries';

export type RunsMetrics = Record<string, RunMetricsFieldsFragment | null>;

/**
 * One query for the metrics of several runs, aliased r0, r1, ... Built at run time (the number of runs
 * varies), so codegen cannot see it: its selection is the generated RunMetricsFields fragment, which types
 * each alias.
 */
export function multiRunMetricsQuery(n: number): TypedDocumentNode<RunsMetrics, Record<string, string>> {
  const vars = Array.from({ length: n }, (_v, i) => `$id${i}: ID!`).join(', ');
  const fields = Array.from({ length: n }, (_v, i) => `r${i}: run(id: $id${i}) { ...RunMetricsFields }`).join(
    '\n',
  );
  return parse(`query RunsMetrics${n}(${vars}) { ${fields} }\n${print(RUN_METRICS_FIELDS)}`);
}

/** A run config flattened to dotted keys (model.backbone, ...), for tables and diffs. */
export function flattenConfig(c: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(c)) {
    if (k === 'dataDir') continue;
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v))
      Object.assign(out, flattenConfig(v as Record<string, unknown>, key));
    else out[key] = v === null || v === undefined ? '–' : Array.isArray(v) ? JSON.stringify(v) : String(v);
  }
  return out;
}
