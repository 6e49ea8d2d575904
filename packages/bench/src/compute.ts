/**
 * Compute-layer benchmarks (issue 2): GFLOP/s of the forward conv and of both conv gradients on RCN shapes,
 * and a Conv4 RCN training step (forward, backward, Adam) on a 5-way 1-shot episode with 15 queries per
 * class (80 images) at 32x32 and 84x84, in the main thread and over 1 and 2 workers.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  syntheticEpisodeArrays,
  initBackend,
  wasmHeapBytes,
  type EpisodeArrays,
  arraysToBatch,
  RCN,
  startReplicas,
} from '@rcn/core';
import type { BenchRow } from './table.js';

/** Reference: the authors' PyTorch code, 2 threads on this machine (shared/notes/compute-probe.md). */
const PYTORCH_STEP_S: Record<number, number> = { 32: 0.12, 84: 0.72 };

function timeIt(fn: () => void, minMs = 1500, minReps = 3): number {
  fn(); // warm-up: XNNPACK operator creation, heap growth
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < minReps || performance.now() - t0 < minMs) {
    const s = performance.now();
    fn();
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

interface ConvShape {
  name: string;
  x: [number, number, number, number];
  k: number;
  cout: number;
  pad: 'valid' | 'same';
}

function convShapes(size: number, n: number): ConvShape[] {
  const l1 = size - 2;
  const p1 = Math.floor(l1 / 2);
  const p2 = Math.floor((p1 - 2) / 2);
  return [
    { name: `Conv4 L1 ${size}px`, x: [n, size, size, 3], k: 3, cout: 64, pad: 'valid' },
    { name: `Conv4 L2 ${size}px`, x: [n, p1, p1, 64], k: 3, cout: 64, pad: 'valid' },
    { name: `Conv4 L3/4 ${size}px`, x: [n, p2, p2, 64], k: 3, cout: 64, pad: 'same' },
  ];
}

function convKernelRows(): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const s of [...convShapes(32, 80), ...convShapes(84, 80)]) {
    const [n, h, w, cin] = s.x;
    const ho = s.pad === 'same' ? h : h - s.k + 1;
    const wo = s.pad === 'same' ? w : w - s.k + 1;
    const flops = 2 * n * ho * wo * s.k * s.k * cin * s.cout;
    const x = tf.randomNormal(s.x);
    const f = tf.randomNormal([s.k, s.k, cin, s.cout]);
    const dy = tf.randomNormal([n, ho, wo, s.cout]);
    const run = (g: () => tf.Tensor) => () => {
      const t = g();
      t.dataSync();
      t.dispose();
    };
    const fwd = timeIt(run(() => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, s.pad)));
    const dw = timeIt(
      run(
        () =>
          tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
            strides: [1, 1],
            pad: s.pad,
            dataFormat: 'NHWC',
            dimRoundingMode: undefined,
            filterShape: f.shape,
          } as never) as tf.Tensor,
      ),
    );
    const dx = timeIt(
      run(
        () =>
          tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, {
            strides: [1, 1],
            pad: s.pad,
            dataFormat: 'NHWC',
            dimRoundingMode: undefined,
            inputShape: s.x,
          } as never) as tf.Tensor,
      ),
    );
    tf.dispose([x, f, dy]);
    const gf = (ms: number) => flops / ms / 1e6;
    rows.push({
      section: 'compute',
      name: `forward conv, ${s.name}`,
      value: gf(fwd),
      unit: 'GFLOP/s',
      extra: { ms: fwd },
    });
    rows.push({
      section: 'compute',
      name: `weight gradient, ${s.name}`,
      value: gf(dw),
      unit: 'GFLOP/s',
      extra: { ms: dw, ofForward: gf(dw) / gf(fwd) },
      target: { text: '>= 0.5x forward GFLOP/s', met: gf(dw) >= 0.5 * gf(fwd) },
    });
    if (cin > 3) {
      // The first layer's input gradient is never needed (images are not trained).
      rows.push({
        section: 'compute',
        name: `input gradient, ${s.name}`,
        value: gf(dx),
        unit: 'GFLOP/s',
        extra: { ms: dx, ofForward: gf(dx) / gf(fwd) },
        target: { text: '>= 0.5x forward GFLOP/s', met: gf(dx) >= 0.5 * gf(fwd) },
      });
    }
  }
  return rows;
}

/** A random but correctly shaped and normalised 5-way 1-shot, 15-query episode. */
export function syntheticEpisode(size: number, seed: number, way = 5, shot = 1, query = 15): EpisodeArrays {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32) * 2 - 1;
  };
  return syntheticEpisodeArrays({ way, shot, query, size }, next);
}

function applyAdam(model: RCN, opt: tf.Optimizer, grads: Map<string, tf.Tensor>): void {
  const named: Record<string, tf.Tensor> = {};
  for (const [name, v] of model.trainableVariables()) named[v.name] = grads.get(name)!;
  opt.applyGradients(named);
}

function mainThreadStepRow(size: number): BenchRow {
  const model = new RCN({ backbone: 'conv4', imageSize: size, seed: 1 });
  const opt = tf.train.adam(1e-3);
  const batch = arraysToBatch(syntheticEpisode(size, 3));
  const ms = timeIt(() => {
    const r = model.computeGradients(batch);
    applyAdam(model, opt, r.grads);
    r.loss.dataSync();
    tf.dispose([r.loss, ...r.grads.values()]);
  }, 3000);
  batch.dispose();
  opt.dispose();
  model.dispose();
  const heap = wasmHeapBytes(tf.backend() as BackendWasm);
  return {
    section: 'compute',
    name: `Conv4 RCN train step ${size}px, main thread`,
    value: ms,
    unit: 'ms/step',
    extra: { 'images/s': (80 * 1000) / ms, 'episodes/s': 1000 / ms, wasmHeapMiB: heap / 2 ** 20 },
  };
}

async function workerStepRow(size: number, workers: number): Promise<BenchRow> {
  const model = new RCN({ backbone: 'conv4', imageSize: size, seed: 1 });
  const opt = tf.train.adam(1e-3);
  const pool = await startReplicas({
    workers,
    backend: 'wasm',
    model: { backbone: 'conv4', imageSize: size, seed: 1 },
  });
  try {
    const batches = Array.from({ length: workers }, (_, i) => syntheticEpisode(size, 10 + i));
    const step = async () => {
      const r = await pool.gradients(model.getWeights(), batches);
      const grads = new Map([...r.grads].map(([k, v]) => [k, tf.tensor(v.data, v.shape)]));
      applyAdam(model, opt, grads);
      model.setWeights(r.buffers, true);
      tf.dispose([...grads.values()]);
    };
    await step();
    const times: number[] = [];
    const t0 = performance.now();
    while (times.length < 3 || performance.now() - t0 < 4000) {
      const s = performance.now();
      await step();
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)];
    const eps = (workers * 1000) / ms;
    const mem = await pool.memory();
    const heapMiB = Math.max(...mem.map((m) => m.wasmHeapBytes ?? 0)) / 2 ** 20;
    const target = PYTORCH_STEP_S[size];
    return {
      section: 'compute',
      name: `Conv4 RCN train step ${size}px, ${workers} worker${workers > 1 ? 's' : ''}`,
      value: eps,
      unit: 'episodes/s',
      extra: {
        'ms/step': ms,
        'images/s': eps * 80,
        pytorchEpisodesPerS: 1 / target,
        workerWasmHeapMiB: heapMiB,
        processRssMiB: process.memoryUsage().rss / 2 ** 20,
      },
      target:
        workers === 2
          ? { text: `>= half of PyTorch's ${(1 / target).toFixed(1)} episodes/s`, met: eps >= 0.5 / target }
          : undefined,
    };
  } finally {
    await pool.close();
    opt.dispose();
    model.dispose();
  }
}

export async function run(): Promise<BenchRow[]> {
  const info = await initBackend('wasm');
  process.stderr.write(`bench compute: backend ${info.name} ${info.version}\n`);
  const rows = convKernelRows();
  for (const size of [32, 84]) {
    rows.push(mainThreadStepRow(size));
    for (const workers of [1, 2]) rows.push(await workerStepRow(size, workers));
  }
  return rows;
}
