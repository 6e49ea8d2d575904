/**
 * Model benchmarks (issue 3), on wasm: in a training step (forward + backward), the time of the RCN head
 * (region grid, comparison, region-weight network, scoring) against the backbone's, for Conv4 and ResNet-12
 * (full width) at 84x84, 5-way 5-shot, 15 queries per class; target: head <= 10% of a step. And the peak
 * memory of one ResNet-12 (full width) 84x84 5-way 1-shot step, which must fit the 4 GiB wasm heap.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../backend/select.js';
import { wasmHeapBytes } from '../backend/wasm-guard.js';
import type { ModelConfigInput } from '../model/config.js';
import { RCN, mseLoss } from '../model/rcn.js';
import type { EpisodeBatch } from '../model/types.js';
import type { BenchRow } from './table.js';

const MiB = 2 ** 20;

function episode(size: number, way: number, shot: number, queries: number): EpisodeBatch {
  return {
    support: tf.randomNormal([way * shot, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D,
    query: tf.randomNormal([way * queries, size, size, 3], 0, 1, 'float32', 2) as tf.Tensor4D,
    queryLabels: tf.tensor1d(
      Array.from({ length: way * queries }, (_, i) => Math.floor(i / queries)),
      'int32',
    ),
    way,
    shot,
  };
}

function disposeEpisode(b: EpisodeBatch): void {
  tf.dispose([b.support, b.query, ...(b.queryLabels ? [b.queryLabels] : [])]);
}

/** Median wall time of `reps` runs after one warm-up; every run reads its results back (synchronises). */
function median(fn: () => void, reps: number): number {
  fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

function readAndDispose(loss: tf.Tensor, grads: Iterable<tf.Tensor>): void {
  loss.dataSync();
  for (const g of grads) {
    g.dataSync();
    g.dispose();
  }
  loss.dispose();
}

/**
 * Times a full training step, the backbone alone (forward + backward of support and query with a fixed
 * linear read-out standing in for the head) and the head alone (forward + backward from fixed features,
 * gradients for the head's parameters and for the features, as in a full step).
 */
function headVsBackbone(label: string, cfg: ModelConfigInput, way: number, shot: number, queries: number, reps: number): BenchRow[] {
  const model = new RCN(cfg);
  const batch = episode(cfg.imageSize ?? 84, way, shot, queries);
  const params = model.trainableVariables();
  const encoderVars = [...params].filter(([n]) => n.startsWith('encoder.')).map(([, v]) => v);
  const headVars = [...params].filter(([n]) => n.startsWith('head.')).map(([, v]) => v);
  try {
    const full = median(() => {
      const r = model.computeGradients(batch);
      readAndDispose(r.loss, r.grads.values());
    }, reps);

    const [sf0, qf0] = tf.tidy(() => [model.encode(batch.support, true), model.encode(batch.query, true)]);
    const readS = tf.randomNormal(sf0.shape, 0, 1, 'float32', 5);
    const readQ = tf.randomNormal(qf0.shape, 0, 1, 'float32', 6);
    const backbone = median(() => {
      const r = tf.variableGrads(
        () => tf.add(tf.sum(tf.mul(model.encode(batch.support, true), readS)), tf.sum(tf.mul(model.encode(batch.query, true), readQ))) as tf.Scalar,
        encoderVars,
      );
      readAndDispose(r.value, Object.values(r.grads));
    }, reps);

    // Features as variables, so that the head's backward also produces d loss / d features.
    const sf = tf.variable(sf0, true, `bench-sf-${label}`);
    const qf = tf.variable(qf0, true, `bench-qf-${label}`);
    tf.dispose([sf0, qf0]);
    const head = median(() => {
      const r = tf.variableGrads(() => {
        const h = model.head(sf as tf.Tensor as tf.Tensor4D, qf as tf.Tensor as tf.Tensor4D, way, shot, true);
        const loss = mseLoss(h.probs, batch.queryLabels as tf.Tensor1D, way);
        tf.dispose([h.classScores, h.regionScores, h.regionWeights, h.supportRegions, h.queryRegions, h.probs]);
        return loss;
      }, [...headVars, sf, qf]);
      readAndDispose(r.value, Object.values(r.grads));
    }, reps);
    tf.dispose([sf, qf, readS, readQ]);
    const share = head / (head + backbone);
    const images = way * (shot + queries);
    return [
      { section: 'model', name: `${label} training step, ${way}-way ${shot}-shot ${queries}q (${images} images)`, value: full / 1000, unit: 's', extra: { backboneMs: backbone, headMs: head } },
      {
        section: 'model',
        name: `${label} head share of a step`,
        value: 100 * share,
        unit: '%',
        extra: { headMs: head, backboneMs: backbone },
        target: { text: 'head <= 10% of a training step', met: share <= 0.1 },
      },
    ];
  } finally {
    disposeEpisode(batch);
    model.dispose();
  }
}

/**
 * One ResNet-12 step. The wasm heap only grows, so its size afterwards is the step's high-water mark (plus
 * what the backend held before); tf.profile adds the peak of the bytes held by tensors.
 */
async function resnetMemory(): Promise<BenchRow> {
  const model = new RCN({ backbone: 'resnet12', imageSize: 84 });
  const batch = episode(84, 5, 1, 15);
  try {
    const before = wasmHeapBytes(tf.backend() as BackendWasm);
    const t0 = performance.now();
    const info = await tf.profile(() => {
      const r = model.computeGradients(batch);
      readAndDispose(r.loss, r.grads.values());
    });
    const ms = performance.now() - t0;
    const heap = wasmHeapBytes(tf.backend() as BackendWasm);
    return {
      section: 'model',
      name: 'ResNet-12 (64-160-320-640) 84px 5-way 1-shot 15q step: wasm heap after',
      value: heap / MiB,
      unit: 'MiB',
      extra: { heapBeforeMiB: before / MiB, tensorPeakMiB: info.peakBytes / MiB, stepS: ms / 1000 },
      target: { text: 'fits the 4 GiB wasm heap', met: heap <= 4 * 2 ** 30 },
    };
  } finally {
    disposeEpisode(batch);
    model.dispose();
  }
}

export async function run(): Promise<BenchRow[]> {
  await initBackend('wasm');
  const rows: BenchRow[] = [];
  // First, while the heap is fresh, so that its size measures this step alone.
  rows.push(await resnetMemory());
  rows.push(...headVsBackbone('Conv4 84px', { backbone: 'conv4', imageSize: 84 }, 5, 5, 15, 3));
  rows.push(...headVsBackbone('ResNet-12 84px', { backbone: 'resnet12', imageSize: 84 }, 5, 5, 15, 1));
  return rows;
}
