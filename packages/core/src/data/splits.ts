/** Parsers for the benchmark split files that have no loader of their own here (tiered-ImageNet). */
import { readCsv } from './csv.js';
import { DataError } from './errors.js';

/** tiered-ImageNet split CSV (`wnid,category`, no header): classes and their high-level categories. */
export async function readTieredSplit(path: string): Promise<{ wnid: string; category: string }[]> {
  const rows = await readCsv(path);
  return rows.map((r) => {
    const [wnid, category] = r.cells;
    if (!/^n\d{8}$/.test(wnid ?? '') || !category)
      throw new DataError(path, `line ${r.line}: expected 'wnid,category', got '${r.cells.join(',')}'`);
    return { wnid, category };
  });
}
