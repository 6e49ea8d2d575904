import { gql } from '@urql/core';
import { RUN_FIELDS } from './queries';

/** One query for the metrics of several runs, aliased r0, r1, ... */
export function multiRunMetricsQuery(n: number) {
  const vars = Array.from({ length: n }, (_v, i) => `$id${i}: ID!`).join(', ');
  const fields = Array.from(
    { length: n },
    (_v, i) =>
      `r${i}: run(id: $id${i}) { ${RUN_FIELDS} metrics { type episode loss accuracy lr ci95 best } }`,
  ).join('\n');
  return gql(`query RunsMetrics${n}(${vars}) { ${fields} }`);
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
