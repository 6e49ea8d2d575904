/**
 * Data-pipeline throughput: episodes built per second (sample + decode + augment + batch into tensors),
 * cold (images decoded as first met, with and without building ahead) and warm (decode cache filled),
 * on the real data. A training step runs at ~10/s, so the pipeline must be far above that not to be the
 * bottleneck; trainers should `preloadDataset` first (seconds) to run warm from the start.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import {
  DecodeCache,
  openDataset,
  preloadDataset,
  defaultDataDir,
  arraysToTensors,
  episodeStream,
  type EpisodeSpec,
} from '@rcn/core';
import type { BenchRow } from './table.js';

const TARGET = 100;
const COLD_TARGET = 20;

async function ensureBackend(): Promise<void> {
  if (tf.engine().backendNames().length === 0) await import('@tensorflow/tfjs-backend-cpu');
  await tf.ready();
}

type Dataset = Awaited<ReturnType<typeof openDataset>>;

/** Episodes per second over `count` episodes, tensors created and disposed as a trainer would. */
async function buildMany(
  ds: Dataset,
  base: Omit<EpisodeSpec, 'index'>,
  count: number,
  prefetch: number,
): Promise<number> {
  const t0 = performance.now();
  for await (const { arrays } of episodeStream(ds, base, 0, count, { prefetch })) {
    const t = arraysToTensors(arrays);
    tf.dispose([t.support, t.query, t.supportLabels, t.queryLabels]);
  }
  return (count * 1000) / (performance.now() - t0);
}

/** Opens a split with a fresh cache and loads its index (for Omniglot, inflates both npz files). */
async function open(dataDir: string, name: string): Promise<{ ds: Dataset; ms: number }> {
  const t0 = performance.now();
  const ds = await openDataset(name, 'train', { dataDir, cache: new DecodeCache() });
  await ds.getImage(ds.classes[0].imageIds[0]);
  await ds.getImage(ds.classes[ds.classes.length - 1].imageIds[0]);
  return { ds, ms: performance.now() - t0 };
}

export async function run(): Promise<BenchRow[]> {
  const dataDir = defaultDataDir();
  if (!existsSync(dataDir)) {
    process.stderr.write(`bench data: skipped, no data folder at ${dataDir} (set RCN_DATA_DIR)\n`);
    return [];
  }
  await ensureBackend();
  const rows: BenchRow[] = [];
  const cases: {
    name: string;
    dataset: string;
    way: number;
    shot: number;
    query: number;
    episodes: number;
  }[] = [
    {
      name: 'omniglot 20-way 5-shot 15-query (28x28, train, augmented)',
      dataset: 'omniglot',
      way: 20,
      shot: 5,
      query: 15,
      episodes: 200,
    },
    {
      name: 'tiny-imagenet-32 5-way 5-shot 15-query (32x32, train, augmented)',
      dataset: 'tiny-imagenet-32',
      way: 5,
      shot: 5,
      query: 15,
      episodes: 300,
    },
  ];
  for (const c of cases) {
    const base = { dataset: c.dataset, split: 'train', way: c.way, shot: c.shot, query: c.query, seed: 1 };
    const images = c.way * (c.shot + c.query);
    // A training step runs ~10/s. Steady state (warm) must be 10x that; before the cache fills, 2x.
    const warmTarget = { text: `>= ${TARGET} episodes/s (10x a ~10/s training step)` };
    const coldTarget = { text: `>= ${COLD_TARGET} episodes/s (2x a training step) while the cache fills` };
    const first = await open(dataDir, c.dataset);
    const cold = await buildMany(first.ds, base, c.episodes, 0);
    const warm = await buildMany(first.ds, base, c.episodes, 0);
    const second = await open(dataDir, c.dataset);
    const coldAhead = await buildMany(second.ds, base, c.episodes, 4);
    // One-off cost of decoding the whole split up front, on a fresh cache.
    const third = await open(dataDir, c.dataset);
    const t0 = performance.now();
    const pre = await preloadDataset(third.ds);
    const preloadMs = performance.now() - t0;
    const row = (
      name: string,
      v: number,
      extra: Record<string, number>,
      target: { text: string },
    ): BenchRow => ({
      section: 'data',
      name: `${c.name}, ${name}`,
      value: v,
      unit: 'episodes/s',
      extra: { 'images/s': v * images, ...extra },
      target: { ...target, met: v >= (target === warmTarget ? TARGET : COLD_TARGET) },
    });
    rows.push(row('cold cache', cold, { 'load ms': first.ms }, coldTarget));
    rows.push(row('cold cache, 4 built ahead', coldAhead, {}, coldTarget));
    rows.push(
      row('warm cache', warm, { 'preload split ms': preloadMs, 'split images': pre.images }, warmTarget),
    );
  }
  return rows;
}
