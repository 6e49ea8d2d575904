/**
 * The tests' one relative-error measure: max |ours - ref| / max |ref| over the tensor (or / `scale` when
 * given; absolute where the reference is all zeros). A length mismatch is a failure, not a number.
 */
export function relErr(ours: ArrayLike<number>, ref: ArrayLike<number>, scale?: number): number {
  if (ours.length !== ref.length) throw new Error(`length mismatch: ${ours.length} vs ${ref.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref[i]));
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  const s = scale ?? maxRef;
  return s === 0 ? maxDiff : maxDiff / s;
}
