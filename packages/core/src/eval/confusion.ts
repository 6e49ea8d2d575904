/** Summaries of a confusion matrix that stay cheap at thousands of classes. */

export interface ConfusedPair {
  /** Row (true class) and column (predicted class) indices. */
  trueIndex: number;
  predictedIndex: number;
  count: number;
  /** Share of the true class's queries predicted as this class. */
  share: number;
}

/** The `k` largest off-diagonal cells, by count then share (one pass over the matrix). */
export function topConfusions(matrix: readonly (readonly number[])[], k: number): ConfusedPair[] {
  const best: ConfusedPair[] = [];
  if (k < 1) return best;
  for (let i = 0; i < matrix.length; i++) {
    const row = matrix[i];
    let total = 0;
    for (const v of row) total += v;
    for (let j = 0; j < row.length; j++) {
      const count = row[j];
      if (i === j || !(count > 0)) continue;
      const share = total ? count / total : 0;
      const last = best[k - 1];
      if (last && (count < last.count || (count === last.count && share <= last.share))) continue;
      best.push({ trueIndex: i, predictedIndex: j, count, share });
      best.sort((a, b) => b.count - a.count || b.share - a.share);
      if (best.length > k) best.pop();
    }
  }
  return best;
}
