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

/**
 * ||ours - ref|| / ||ref|| (L2 over the tensor; absolute where the reference is all zeros). For whole
 * training steps of two float32 implementations: round-off puts some pooling maxima and region matches on
 * the other side of a near-tie, which moves single entries by a lot (see relErr) but the tensor by little,
 * while a wrong computation moves the whole tensor.
 */
export function l2RelErr(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) throw new Error(`length mismatch: ${ours.length} vs ${ref.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (ours[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}
