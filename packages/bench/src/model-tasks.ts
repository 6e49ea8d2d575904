/**
 * The model benchmarks' measurements, run inside a worker (see model.ts): each configuration gets a fresh
 * wasm instance, so that one configuration's heap growth does not count against the next.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  wasmHeapBytes,
  type ModelConfigInput,
  RCN,
  type StepTimings,
  disposeBatch as disposeEpisode,
  syntheticBatch as episode,
} from '@rcn/core';
import type { BenchRow } from './table.js';

const MiB = 2 ** 20;

/** Reads every result back (synchronises) and frees it. */
function readAndDispose(loss: tf.Tensor, grads: Iterable<tf.Tensor>): void {
  loss.dataSync();
  for (const g of grads) {
    g.dataSync();
    g.dispose();
  }
  loss.dispose();
}

/**
 * Times training steps (forward + backward, no optimiser) and splits each into the backbone's forward and
 * backward passes and the head's (forward + backward), measured inside the step (wasm runs synchronously).
 */
export function headVsBackbone(
  label: string,
  cfg: ModelConfigInput,
  way: number,
  shot: number,
  queries: number,
  reps: number,
): BenchRow[] {
  const model = new RCN(cfg);
  const batch = episode(cfg.imageSize ?? 84, way, shot, queries);
  try {
    const runs: { total: number; t: StepTimings }[] = [];
    for (let i = 0; i <= reps; i++) {
      const t: StepTimings = { backboneForwardMs: 0, backboneBackwardMs: 0, headMs: 0 };
      const s = performance.now();
      const r = model.computeGradients(batch, { timings: t });
      readAndDispose(r.loss, r.grads.values());
      // The first run is a warm-up (XNNPACK operator creation, heap growth).
      if (i > 0) runs.push({ total: performance.now() - s, t });
    }
    runs.sort((a, b) => a.total - b.total);
    const { total, t } = runs[Math.floor(runs.length / 2)];
    const share = t.headMs / total;
    const images = way * (shot + queries);
    const extra = {
      backboneFwdMs: t.backboneForwardMs,
      backboneBwdMs: t.backboneBackwardMs,
      headMs: t.headMs,
      runs: runs.length,
    };
    return [
      {
        section: 'model',
        name: `${label} training step, ${way}-way ${shot}-shot ${queries}q (${images} images)`,
        value: total / 1000,
        unit: 's',
        extra,
      },
      {
        section: 'model',
        name: `${label} head share of a step`,
        value: 100 * share,
        unit: '%',
        extra,
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
export async function resnetMemory(): Promise<BenchRow> {
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

export interface SplitJob {
  label: string;
  cfg: ModelConfigInput;
  way: number;
  shot: number;
  queries: number;
  reps: number;
}

export const tasks = {
  'bench.model.memory': () => resnetMemory(),
  'bench.model.split': (job: SplitJob) =>
    headVsBackbone(job.label, job.cfg, job.way, job.shot, job.queries, job.reps),
};
