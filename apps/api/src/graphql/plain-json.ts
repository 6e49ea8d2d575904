/** Values for the JSON scalar. */
/**
 * `v` as JSON would carry it (non-finite numbers and undefined array items null, undefined fields gone),
 * returning `v` itself where nothing changes: a 2,000-class confusion matrix (4 million numbers) is checked,
 * not copied through a JSON round trip. Values other than plain objects and arrays take the round trip.
 */
export function plainJson(v: unknown): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (v === undefined) return null;
  if (Array.isArray(v)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      const y = typeof x === 'number' && Number.isFinite(x) ? x : plainJson(x);
      if (y !== x && !out) out = v.slice(0, i);
      if (out) out.push(y);
    }
    return out ?? v;
  }
  const proto = typeof v === 'object' ? (Object.getPrototypeOf(v) as unknown) : undefined;
  if (proto !== Object.prototype && proto !== null) return JSON.parse(JSON.stringify(v) ?? 'null') as unknown;
  const o = v as Record<string, unknown>;
  let out: Record<string, unknown> | null = null;
  for (const k of Object.keys(o)) {
    const x = o[k];
    if (x === undefined) {
      out ??= { ...o };
      delete out[k];
      continue;
    }
    const y = plainJson(x);
    if (y !== x) (out ??= { ...o })[k] = y;
  }
  return out ?? o;
}
