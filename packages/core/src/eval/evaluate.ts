/**
 * Episodic evaluation the way few-shot papers report it: E episodes (default 600) from a fixed seed, mean
 * accuracy with the 95% confidence interval (standard error x t(0.975, E-1)), per-class accuracy and the
 * confusion matrix over the split's classes. Parallel over worker threads with results identical to a
 * serial run: each episode is computed the same way wherever it runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FewShotDataset } from '../data/index.js';
import {
  buildEpisodeArrays,
  type EpisodeArrays,
  sampleEpisode,
  type Episode,
  arraysToBatch,
} from '../episodes/index.js';
import type { FewShotModel, ModelConfig } from '../model/index.js';
import type { ReplicaPool } from '../backend/index.js';
import { meanCi95 } from './stats.js';

export interface EvalOptions {
  way: number;
  shot: number;
  /** Queries per class (15 in the papers). */
  query: number;
  episodes: number;
  /** Seed of the episode stream; fixed so that runs are compared on the same episodes. */
  seed: number;
  /** Every episode's classes from one class group (Omniglot: one alphabet; Lake's one-shot task). */
  withinGroup?: boolean;
  /** Parallel workers (model replicas); omit to evaluate in this thread. */
  pool?: ReplicaPool<EpisodeArrays, ModelConfig>;
  /** Episodes built ahead and sent to the pool at once (bounds memory). */
  chunk?: number;
  onProgress?: (done: number, total: number, runningAccuracy: number) => void;
  signal?: AbortSignal;
}

export interface EvalReport {
  dataset: string;
  split: string;
  way: number;
  shot: number;
  query: number;
  episodes: number;
  seed: number;
  /** Present (true) when every episode's classes came from one class group. */
  withinGroup?: boolean;
  /** Mean episode accuracy in [0, 1]. */
  accuracy: number;
  /** Half-width of the 95% confidence interval, in [0, 1]. */
  ci95: number;
  std: number;
  /** Mean over episodes of the MSE between probabilities and one-hot labels (the training loss). */
  loss: number;
  /** Accuracy of each episode, in order. */
  perEpisode: number[];
  perClass: { id: string; name: string; correct: number; total: number; accuracy: number }[];
  /** Rows: true class; columns: predicted class; both in `confusion.classes` order (the split's classes). */
  confusion: { classes: string[]; matrix: number[][] };
  /** How BatchNorm normalised at evaluation. */
  bnInference: 'batch' | 'running';
  seconds: number;
}

function argmaxRows(probs: Float32Array, cols: number): Int32Array {
  const rows = probs.length / cols;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (probs[r * cols + c] > probs[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}

async function predictLocal(model: FewShotModel, a: EpisodeArrays): Promise<Float32Array> {
  const b = arraysToBatch(a);
  const out = model.forward(b, { training: false });
  const probs = (await out.probs.data()) as Float32Array;
  tf.dispose(Object.values(out) as tf.Tensor[]);
  b.dispose();
  return probs;
}

/** One episode after another (each forward pass alone on the device). */
async function predictEach(model: FewShotModel, arrays: EpisodeArrays[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const a of arrays) out.push(await predictLocal(model, a));
  return out;
}

export async function evaluateModel(
  model: FewShotModel,
  ds: FewShotDataset,
  opts: EvalOptions,
): Promise<EvalReport> {
  const t0 = performance.now();
  const classIndex = new Map(ds.classes.map((c, i) => [c.id, i]));
  const nc = ds.classes.length;
  const confusion = Array.from({ length: nc }, () => new Array<number>(nc).fill(0));
  const perEpisode: number[] = [];
  let lossSum = 0;
  const chunk = Math.max(1, opts.chunk ?? (opts.pool ? opts.pool.workers * 2 : 1));
  // Replicas get the weights once; each chunk then ships only its episodes.
  if (opts.pool) await opts.pool.setWeights(model.getWeights());

  const score = (ep: Episode, probs: Float32Array) => {
    const pred = argmaxRows(probs, ep.spec.way);
    let correct = 0;
    let se = 0;
    for (let i = 0; i < probs.length; i++) {
      const target = i % ep.spec.way === ep.query[Math.floor(i / ep.spec.way)].label ? 1 : 0;
      se += (probs[i] - target) ** 2;
    }
    lossSum += se / probs.length;
    ep.query.forEach((q, i) => {
      const t = classIndex.get(q.classId)!;
      const p = classIndex.get(ep.classes[pred[i]].id)!;
      confusion[t][p]++;
      if (pred[i] === q.label) correct++;
    });
    perEpisode.push(correct / ep.query.length);
  };

  for (let start = 0; start < opts.episodes; start += chunk) {
    if (opts.signal?.aborted) throw new Error('evaluation cancelled');
    const eps: Episode[] = [];
    for (let i = start; i < Math.min(opts.episodes, start + chunk); i++) {
      eps.push(
        sampleEpisode(ds, {
          dataset: ds.name,
          split: ds.split,
          way: opts.way,
          shot: opts.shot,
          query: opts.query,
          seed: opts.seed,
          index: i,
          ...(opts.withinGroup ? { withinGroup: true } : {}),
        }),
      );
    }
    const arrays = await Promise.all(eps.map((ep) => buildEpisodeArrays(ds, ep, { augmentQueries: false })));
    const probs = opts.pool ? await opts.pool.predict(arrays) : await predictEach(model, arrays);
    eps.forEach((ep, i) => score(ep, probs[i]));
    const s = meanCi95(perEpisode);
    opts.onProgress?.(perEpisode.length, opts.episodes, s.mean);
  }

  const s = meanCi95(perEpisode);
  const perClass = ds.classes.map((c, i) => {
    const total = confusion[i].reduce((a, b) => a + b, 0);
    const correct = confusion[i][i];
    return { id: c.id, name: c.name, correct, total, accuracy: total ? correct / total : NaN };
  });
  return {
    dataset: ds.name,
    split: ds.split,
    way: opts.way,
    shot: opts.shot,
    query: opts.query,
    episodes: opts.episodes,
    seed: opts.seed,
    ...(opts.withinGroup ? { withinGroup: true } : {}),
    accuracy: s.mean,
    ci95: s.ci95,
    std: s.std,
    loss: lossSum / perEpisode.length,
    perEpisode,
    perClass: perClass.filter((c) => c.total > 0),
    confusion: { classes: ds.classes.map((c) => c.id), matrix: confusion },
    bnInference: model.config.bnInference,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Report line as papers print it: `63.21 ± 0.84 % (600 episodes, 5-way 1-shot)`. */
export function formatAccuracy(
  r: Pick<EvalReport, 'accuracy' | 'ci95' | 'episodes' | 'way' | 'shot'>,
): string {
  return `${(100 * r.accuracy).toFixed(2)} ± ${(100 * r.ci95).toFixed(2)} % (${r.episodes} episodes, ${r.way}-way ${r.shot}-shot)`;
}
