/** The confusion matrix as a file to download. */

/** The matrix as CSV with a header row and column of class ids (quoted where needed). */
export function confusionCsv(classes: readonly string[], matrix: readonly (readonly number[])[]): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [['true \\ predicted', ...classes].map(q).join(',')];
  matrix.forEach((row, i) => lines.push([q(classes[i]), ...row.map(String)].join(',')));
  return lines.join('\n') + '\n';
}
