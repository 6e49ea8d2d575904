/**
 * `pnpm bench profile`: where a training step's time goes, per kernel kind, forward and backward, per layer,
 * so that the next speed-up is chosen by measurement (issue 16). Default: the Conv4 RCN 84x84 5-way 1-shot
 * 15-query step (80 images) with clipping and Adam, in the main thread on wasm.
 *
 * How: every kernel registered for the backend is wrapped with a timer (wasm kernels run synchronously, so
 * the wall time around a kernel is its cost). The layer comes from the backbone's block observer (the
 * backward pass is scheduled by hand, block by block, see model/backbone.ts); outside the blocks, a
 * kernel run under the engine's `backward` scope belongs to the head's autodiff backward pass. Time spent
 * outside any kernel (engine bookkeeping, allocation, JS) is reported as its own row.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  initBackend,
  setBlockObserver,
  type BackboneKind,
  RCN,
  Adam,
  clipGradNormPerModule,
  arraysToBatch,
} from '@rcn/core';
import { syntheticEpisode } from './compute.js';
import { stepArgs } from './reference-args.js';
import type { BenchRow } from './table.js';

export type Direction = 'forward' | 'backward' | 'update';

/** One (layer, direction, kernel) cell of the profile, summed over the profiled steps. */
export interface ProfileEntry {
  /** `encoder.layer2`, `head`, `optimizer`, or `encoder` for glue between the blocks. */
  layer: string;
  direction: Direction;
  /** TensorFlow.js kernel name (`Conv2D`, `Conv2DBackpropFilter`, ...). */
  kernel: string;
  ms: number;
  calls: number;
}

export interface StepProfile {
  steps: number;
  /** Wall time of the profiled steps, summed. */
  wallMs: number;
  /** Summed time inside kernels. */
  kernelMs: number;
  entries: ProfileEntry[];
}

export interface ProfileOptions {
  backbone: BackboneKind;
  imageSize: number;
  way: number;
  shot: number;
  query: number;
  /** Profiled steps after one untimed warm-up step. */
  steps: number;
}

export const DEFAULT_PROFILE: ProfileOptions = {
  backbone: 'conv4',
  imageSize: 84,
  way: 5,
  shot: 1,
  query: 15,
  steps: 3,
};

interface Recorder {
  /** Set by the block observer: the layer and direction of the running block, if any. */
  block: { layer: string; direction: Direction } | null;
  /** Outside the model's gradient computation (clipping, Adam). */
  update: boolean;
  /** The backbone's backward pass has begun in this step: glue kernels belong to it. */
  backboneBackward: boolean;
  on: boolean;
  cells: Map<string, ProfileEntry>;
}

function inBackwardScope(): boolean {
  return tf.engine().state.scopeStack.some((s) => s.name === 'backward');
}

function where(r: Recorder): { layer: string; direction: Direction } {
  if (r.block) return r.block;
  if (r.update) return { layer: 'optimizer', direction: 'update' };
  if (r.backboneBackward) return { layer: 'encoder', direction: 'backward' };
  return { layer: 'head', direction: inBackwardScope() ? 'backward' : 'forward' };
}

/**
 * Replaces every kernel of `backend` with a timed wrapper that reports to `r`; returns the undo. Only the
 * outermost kernel is timed (a kernel that calls another through the engine counts once, with its child).
 */
function wrapKernels(backend: string, r: Recorder): () => void {
  const originals = tf.getKernelsForBackend(backend);
  let depth = 0;
  for (const config of originals) {
    const inner = config.kernelFunc;
    const kernelFunc: tf.KernelFunc = (args) => {
      if (!r.on || depth > 0) return inner(args);
      depth++;
      const t0 = performance.now();
      try {
        return inner(args);
      } finally {
        const ms = performance.now() - t0;
        depth--;
        const { layer, direction } = where(r);
        const key = `${layer}|${direction}|${config.kernelName}`;
        const cell = r.cells.get(key) ?? { layer, direction, kernel: config.kernelName, ms: 0, calls: 0 };
        cell.ms += ms;
        cell.calls += 1;
        r.cells.set(key, cell);
      }
    };
    tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel({ ...config, kernelFunc });
  }
  return () => {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, backend);
      tf.registerKernel(config);
    }
  };
}

/** Profiles training steps of an RCN on the current backend (forward, backward, clipping, Adam). */
export async function profileTrainingStep(opts: ProfileOptions): Promise<StepProfile> {
  const backend = tf.getBackend();
  const model = new RCN({ backbone: opts.backbone, imageSize: opts.imageSize, seed: 1 });
  const adam = new Adam({ lr: 1e-3 });
  const batch = arraysToBatch(syntheticEpisode(opts.imageSize, 3, opts.way, opts.shot, opts.query));
  const r: Recorder = { block: null, update: false, backboneBackward: false, on: false, cells: new Map() };
  const step = async () => {
    r.backboneBackward = false;
    const g = model.computeGradients(batch);
    await g.loss.data();
    g.loss.dispose();
    r.update = true;
    await clipGradNormPerModule(g.grads, 0.5);
    adam.apply(model.trainableVariables(), g.grads);
    tf.dispose([...g.grads.values()]);
    r.update = false;
  };
  const restore = wrapKernels(backend, r);
  setBlockObserver((phase, block) => {
    const direction = phase === 'forward' ? 'forward' : 'backward';
    if (direction === 'backward') r.backboneBackward = true;
    r.block = { layer: `encoder.layer${block + 1}`, direction };
    return () => {
      r.block = null;
    };
  });
  try {
    await step(); // warm-up: operator creation, heap growth
    r.on = true;
    const t0 = performance.now();
    for (let i = 0; i < opts.steps; i++) await step();
    const wallMs = performance.now() - t0;
    r.on = false;
    const entries = [...r.cells.values()].sort((a, b) => b.ms - a.ms);
    return { steps: opts.steps, wallMs, kernelMs: entries.reduce((s, e) => s + e.ms, 0), entries };
  } finally {
    setBlockObserver(null);
    restore();
    batch.dispose();
    adam.dispose();
    model.dispose();
  }
}

/** Sums entries by `key`, largest first. */
function groupBy(entries: ProfileEntry[], key: (e: ProfileEntry) => string): [string, number, number][] {
  const m = new Map<string, [number, number]>();
  for (const e of entries) {
    const [ms, calls] = m.get(key(e)) ?? [0, 0];
    m.set(key(e), [ms + e.ms, calls + e.calls]);
  }
  return [...m]
    .map(([k, [ms, calls]]) => [k, ms, calls] as [string, number, number])
    .sort((a, b) => b[1] - a[1]);
}

/**
 * The profile as bench rows, per step: forward / backward / update, per kernel kind, per layer, then each
 * (layer, direction, kernel) cell; each group sorted by time, with its share of the step's wall time.
 */
export function profileRows(p: StepProfile, label: string): BenchRow[] {
  const perStep = (ms: number) => ms / p.steps;
  const row = (group: string, name: string, ms: number, calls: number): BenchRow => ({
    section: 'profile',
    name: `${label} ${group}: ${name}`,
    value: perStep(ms),
    unit: 'ms/step',
    extra: { share: `${((100 * ms) / p.wallMs).toFixed(1)}%`, calls: calls / p.steps },
  });
  const rows: BenchRow[] = [
    {
      section: 'profile',
      name: `${label} step (wall)`,
      value: perStep(p.wallMs),
      unit: 'ms/step',
      extra: { steps: p.steps, inKernels: `${((100 * p.kernelMs) / p.wallMs).toFixed(1)}%` },
    },
    row('outside kernels', 'engine, allocation, JS', p.wallMs - p.kernelMs, 0),
  ];
  for (const [k, ms, calls] of groupBy(p.entries, (e) => e.direction))
    rows.push(row('direction', k, ms, calls));
  for (const [k, ms, calls] of groupBy(p.entries, (e) => `${e.kernel} ${e.direction}`))
    rows.push(row('kernel', k, ms, calls));
  for (const [k, ms, calls] of groupBy(p.entries, (e) => `${e.layer} ${e.direction}`))
    rows.push(row('layer', k, ms, calls));
  // Every cell of at least 0.5% of the step; the rest as one row, to keep the table readable.
  const big = p.entries.filter((e) => e.ms >= 0.005 * p.wallMs);
  const small = p.entries.filter((e) => e.ms < 0.005 * p.wallMs);
  for (const e of big) rows.push(row('cell', `${e.layer} ${e.direction} ${e.kernel}`, e.ms, e.calls));
  if (small.length)
    rows.push(
      row(
        'cell',
        `${small.length} smaller cells`,
        small.reduce((t, e) => t + e.ms, 0),
        small.reduce((t, e) => t + e.calls, 0),
      ),
    );
  return rows;
}

/**
 * The bench section: the Conv4 84 px 5-way 1-shot 15-query step on wasm by default; `--backbone`,
 * `--image-size`, `--way/--shot/--query` and `--steps` (profiled steps, default 3) choose another.
 */
export async function run(argv = process.argv.slice(2)): Promise<BenchRow[]> {
  const a = stepArgs(argv);
  if ((a.backbones?.length ?? 1) > 1 || (a.sizes?.length ?? 1) > 1)
    throw new Error('bench profile: give one --backbone and one --image-size');
  const opts: ProfileOptions = {
    backbone: a.backbones?.[0] ?? DEFAULT_PROFILE.backbone,
    imageSize: a.sizes?.[0] ?? DEFAULT_PROFILE.imageSize,
    way: a.way,
    shot: a.shot,
    query: a.query,
    steps: a.steps ?? DEFAULT_PROFILE.steps,
  };
  const info = await initBackend('wasm');
  const label = `${opts.backbone === 'conv4' ? 'Conv4' : 'ResNet-12'} ${opts.imageSize}px`;
  process.stderr.write(
    `bench profile: ${label} ${opts.way}-way ${opts.shot}-shot ${opts.query}q training step on ${info.name}, ` +
      `${opts.steps} steps after a warm-up\n`,
  );
  return profileRows(await profileTrainingStep(opts), label);
}
