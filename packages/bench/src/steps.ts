/**
 * Training and evaluation speed on any backend (issue 11): `pnpm bench steps --backend webgpu`. A Conv4 RCN
 * training step (forward, hand-scheduled backward, clipping, Adam: what the trainer does) on a 5-way 1-shot
 * episode with 15 queries per class (80 images) at 32 and 84 px, the same for ResNet-12 at 84 px, and
 * evaluation episodes/s (forward in inference mode, probabilities read back) at 84 px. Every step reads its
 * results back, so GPU time is counted. Memory: the peak bytes held by tensors (tf.profile), and what the
 * backend holds on its device where it reports it (webgpu's buffer pool, the wasm heap).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  initBackend,
  parseBackendName,
  type BackendName,
  wasmHeapBytes,
  webGpuBytesAllocated,
  type ModelConfigInput,
  RCN,
  disposeBatch,
  syntheticBatch,
  Adam,
  clipGradNormPerModule,
} from '@rcn/core';
import type { BenchRow } from './table.js';

const MiB = 2 ** 20;

export interface StepsOptions {
  backend: BackendName;
  /** Minimum timed seconds per configuration (after one warm-up). */
  seconds: number;
  /** Configurations to skip, by label prefix (e.g. ResNet-12 on a CPU emulation of Vulkan). */
  skip?: string[];
}

/** Bytes the backend holds on its device, where it says: webgpu's buffers, the wasm heap; else null. */
function deviceBytes(): number | null {
  const name = tf.getBackend();
  if (name === 'webgpu') return webGpuBytesAllocated();
  if (name === 'wasm') return wasmHeapBytes(tf.backend() as BackendWasm);
  return null;
}

async function timeAsync(fn: () => Promise<void>, seconds: number): Promise<{ ms: number; reps: number }> {
  await fn(); // warm-up: shader / pipeline compilation, heap growth
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < 3 || performance.now() - t0 < seconds * 1000) {
    const s = performance.now();
    await fn();
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], reps: times.length };
}

async function trainRow(label: string, cfg: ModelConfigInput, opts: StepsOptions): Promise<BenchRow> {
  const size = cfg.imageSize ?? 84;
  const model = new RCN(cfg);
  const adam = new Adam({ lr: 1e-3 });
  const batch = syntheticBatch(size, 5, 1, 15);
  const step = async () => {
    const r = model.computeGradients(batch);
    await r.loss.data();
    r.loss.dispose();
    await clipGradNormPerModule(r.grads, 0.5);
    adam.apply(model.trainableVariables(), r.grads);
    tf.dispose([...r.grads.values()]);
    // Adam's update is queued on the device: wait for it, as the next step would.
    const v = model.trainableVariables().values().next().value as tf.Variable;
    await v.data();
  };
  try {
    const { ms, reps } = await timeAsync(step, opts.seconds);
    const profile = await tf.profile(step);
    const dev = deviceBytes();
    return {
      section: 'steps',
      name: `${label} RCN train step ${size}px 5-way 1-shot 15q (80 images), ${tf.getBackend()}`,
      value: 1000 / ms,
      unit: 'episodes/s',
      extra: {
        'ms/step': ms,
        'images/s': (80 * 1000) / ms,
        reps,
        tensorPeakMiB: profile.peakBytes / MiB,
        ...(dev === null ? {} : { deviceMiB: dev / MiB }),
      },
    };
  } finally {
    disposeBatch(batch);
    adam.dispose();
    model.dispose();
  }
}

async function evalRow(opts: StepsOptions): Promise<BenchRow> {
  const model = new RCN({ backbone: 'conv4', imageSize: 84, seed: 1 });
  const batch = syntheticBatch(84, 5, 1, 15);
  const episode = async () => {
    const out = model.forward(batch, { training: false });
    await out.probs.data();
    tf.dispose(Object.values(out) as tf.Tensor[]);
  };
  try {
    const { ms, reps } = await timeAsync(episode, opts.seconds);
    return {
      section: 'steps',
      name: `Conv4 RCN evaluation 84px 5-way 1-shot 15q, ${tf.getBackend()}`,
      value: 1000 / ms,
      unit: 'episodes/s',
      extra: { 'ms/episode': ms, reps },
    };
  } finally {
    disposeBatch(batch);
    model.dispose();
  }
}

/** A configuration that fails (a limit, a device error) becomes an error row; the others still run. */
async function guarded(name: string, fn: () => Promise<BenchRow>): Promise<BenchRow> {
  try {
    const row = await fn();
    process.stderr.write(`bench steps: ${row.name}: ${row.value.toFixed(3)} ${row.unit}\n`);
    return row;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`bench steps: ${name} failed: ${msg}\n`);
    return {
      section: 'steps',
      name: `${name} (failed)`,
      value: Number.NaN,
      unit: '',
      extra: { error: msg.slice(0, 300) },
    };
  }
}

export async function runSteps(opts: StepsOptions): Promise<BenchRow[]> {
  const info = await initBackend(opts.backend);
  process.stderr.write(`bench steps: backend ${info.name} ${info.version}; ${info.devices.join('; ')}\n`);
  const configs: [string, ModelConfigInput][] = [
    ['Conv4 32px', { backbone: 'conv4', imageSize: 32, seed: 1 }],
    ['Conv4 84px', { backbone: 'conv4', imageSize: 84, seed: 1 }],
    ['ResNet-12 84px', { backbone: 'resnet12', imageSize: 84, seed: 1 }],
  ];
  const rows: BenchRow[] = [];
  for (const [label, cfg] of configs) {
    if (opts.skip?.some((s) => label.startsWith(s))) continue;
    rows.push(await guarded(label, () => trainRow(label.split(' ')[0], cfg, opts)));
  }
  if (!opts.skip?.some((s) => 'evaluation'.startsWith(s)))
    rows.push(await guarded('evaluation', () => evalRow(opts)));
  return rows;
}

export async function run(): Promise<BenchRow[]> {
  const arg = (flag: string) => {
    const i = process.argv.indexOf(flag);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  return runSteps({
    backend: parseBackendName(arg('--backend') ?? process.env.RCN_BACKEND ?? 'wasm', '--backend'),
    seconds: Number(arg('--seconds') ?? 5),
    skip: arg('--skip')?.split(','),
  });
}
