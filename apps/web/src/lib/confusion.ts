/** Confusion-matrix summaries that stay cheap at thousands of classes (no per-cell DOM). */

export interface ConfusedPair {
  /** Row (true class) and column (predicted class) indices. */
  true: number;
  predicted: number;
  count: number;
  /** Share of the true class's queries predicted as this class. */
  share: number;
}

/** The k largest off-diagonal cells, by count then share (one pass, a small sorted buffer). */
export function topConfusions(matrix: readonly (readonly number[])[], k: number): ConfusedPair[] {
  const best: ConfusedPair[] = [];
  for (let i = 0; i < matrix.length; i++) {
    const row = matrix[i];
    let total = 0;
    for (const v of row) total += v;
    for (let j = 0; j < row.length; j++) {
      const count = row[j];
      if (i === j || count <= 0) continue;
      if (best.length === k && count <= best[k - 1].count) continue;
      best.push({ true: i, predicted: j, count, share: total ? count / total : 0 });
      best.sort((a, b) => b.count - a.count || b.share - a.share);
      if (best.length > k) best.pop();
    }
  }
  return best;
}

/** The matrix as CSV with a header row and column of class ids (quoted where needed). */
export function confusionCsv(classes: readonly string[], matrix: readonly (readonly number[])[]): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [['true \\ predicted', ...classes].map(q).join(',')];
  matrix.forEach((row, i) => lines.push([q(classes[i]), ...row.map(String)].join(',')));
  return lines.join('\n') + '\n';
}
