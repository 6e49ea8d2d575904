/** Benchmark rows, printed as a table and written as JSON by `pnpm bench`. */
export interface BenchRow {
  section: string;
  name: string;
  /** Main figure, with its unit. */
  value: number;
  unit: string;
  /** Further figures (e.g. GFLOP/s, images/s, peak MiB). */
  extra?: Record<string, number | string>;
  /** A target from an issue, stated in words, and whether it was met. */
  target?: { text: string; met: boolean };
}

export function formatTable(rows: BenchRow[]): string {
  const lines = rows.map((r) => [
    r.section,
    r.name,
    `${r.value.toFixed(r.value >= 100 ? 0 : r.value >= 10 ? 1 : 3)} ${r.unit}`,
    Object.entries(r.extra ?? {})
      .map(
        ([k, v]) => `${k}=${typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2)) : v}`,
      )
      .join(' '),
    r.target ? `${r.target.met ? 'MET' : 'MISSED'}: ${r.target.text}` : '',
  ]);
  const header = ['section', 'benchmark', 'result', 'details', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join(' | ')
      .trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(fmt)].join('\n');
}
