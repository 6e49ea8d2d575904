/**
 * A zoo model's fixed check: a few test episodes from a fixed seed, the correct queries of each and the mean
 * loss. The card records them when the model is published; the zoo test recomputes them, so a change to the
 * code that alters what a trained model computes is caught on real weights, not only on golden tensors.
 */
import { openDataset } from '../data/index.js';
import { evaluateModel } from '../eval/index.js';
import type { OpenedCheckpoint } from '../model/index.js';
import type { ZooCheck } from './card.js';

export type ZooCheckSpec = Pick<ZooCheck, 'split' | 'way' | 'shot' | 'query' | 'episodes' | 'seed'>;

export async function runZooCheck(
  ck: OpenedCheckpoint,
  spec: ZooCheckSpec,
  opts: { dataDir?: string } = {},
): Promise<ZooCheck> {
  if (!ck.dataset) throw new Error(`${ck.dir}: the checkpoint names no dataset`);
  const ds = await openDataset(ck.dataset, spec.split, {
    dataDir: opts.dataDir,
    imageSize: ck.model.config.imageSize,
    normalization: ck.normalization,
  });
  const r = await evaluateModel(ck.model, ds, spec);
  const queries = spec.way * spec.query;
  return { ...spec, correct: r.perEpisode.map((a) => Math.round(a * queries)), loss: r.loss };
}

/** What differs between a card's check and a recomputed one, beyond float32 rounding across machines. */
export function compareZooCheck(expected: ZooCheck, actual: ZooCheck): string[] {
  const problems: string[] = [];
  if (expected.correct.length !== actual.correct.length)
    return [`${actual.correct.length} episodes instead of ${expected.correct.length}`];
  // A near-tie between two classes may fall the other way on another CPU (fused multiply-add or not): one
  // query per episode, two in all; anything more is a change in what the model computes.
  expected.correct.forEach((c, i) => {
    if (Math.abs(c - actual.correct[i]) > 1)
      problems.push(`episode ${i}: ${actual.correct[i]} correct queries instead of ${c}`);
  });
  const total = (a: number[]) => a.reduce((s, v) => s + v, 0);
  if (Math.abs(total(expected.correct) - total(actual.correct)) > 2)
    problems.push(`${total(actual.correct)} correct queries in all instead of ${total(expected.correct)}`);
  if (Math.abs(expected.loss - actual.loss) > 1e-5 + 1e-3 * expected.loss)
    problems.push(`loss ${actual.loss} instead of ${expected.loss}`);
  return problems;
}
