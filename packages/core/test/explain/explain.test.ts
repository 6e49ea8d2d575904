/**
 * Explanations of a trained model (a small Conv4 RCN trained on Omniglot in beforeAll): the RAM numbers add
 * up to the model's scores, the images render, parts are found, and the RAM is faithful: deleting query
 * regions in RAM order lowers the true class's probability faster than deleting them in random order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { openDataset } from '../../src/data/index.js';
import type { FewShotDataset } from '../../src/data/types.js';
import {
  classRam,
  explainEpisode,
  explanationJson,
  Explainer,
  formatFaithfulness,
  loadExplainContext,
  measureFaithfulness,
  pairRam,
  prototypicalParts,
  renderEpisodePanel,
  renderPairPng,
  renderPartsGallery,
  type EpisodeExplanation,
  type ExplainContext,
} from '../../src/explain/index.js';
import { gradCamRegions } from '../../src/explain/gradcam.js';
import { regionSimilarityMap } from '../../src/explain/ram.js';
import { renderRegionMatchPng } from '../../src/explain/panel.js';
import { arraysToBatch, buildEpisodeArrays, sampleEpisode } from '../../src/episodes/index.js';
import { defaultTrainConfig, train } from '../../src/train/index.js';
import { requireSharedData } from '@rcn/test-utils';

const data = requireSharedData('omniglot');
/** Where the test PNGs go (kept for a person to look at when RCN_EXPLAIN_OUT is set). */
const keepDir = process.env.RCN_EXPLAIN_OUT;

describe.skipIf(!data.available)('explanations of a trained RCN', () => {
  let runs: string;
  let ctx: ExplainContext;
  let ds: FewShotDataset;
  let x: EpisodeExplanation;

  beforeAll(async () => {
    await initBackend('wasm');
    runs = await mkdtemp(join(tmpdir(), 'rcn-explain-'));
    await train(
      defaultTrainConfig({
        dataset: 'omniglot',
        dataDir: data.dir,
        episodes: 300,
        valEvery: 300,
        valEpisodes: 10,
        query: 5,
        workers: 1,
        backend: 'wasm',
        seed: 1,
      }),
      { runsDir: runs, runId: 'explain' },
    );
    ctx = await loadExplainContext(join(runs, 'explain'), { dataDir: data.dir });
    ds = await ctx.openSplit('test');
    x = await explainEpisode(ctx.model, ds, 'omniglot:test:5:1:3:0:0');
  });

  afterAll(async () => {
    ctx?.dispose();
    if (runs) await rm(runs, { recursive: true, force: true });
  });

  it('RAM numbers add up to the forward pass: sum_k w_k r_k = support score, shares sum to 1, r_k = best cosine', async () => {
    const { ram } = x;
    expect(ram.regions).toBe(25);
    const opened = await openDataset('omniglot', 'test', { dataDir: data.dir, imageSize: 28 });
    const arrays = await buildEpisodeArrays(opened, sampleEpisode(opened, x.episode.spec), {
      augmentQueries: false,
    });
    const batch = arraysToBatch(arrays);
    const out = ctx.model.forward(batch, { training: false });
    const scores = out.classScores.dataSync();
    tf.dispose([out.probs, out.classScores, out.regionScores, out.regionWeights]);
    batch.dispose();
    for (let q = 0; q < ram.queries; q++)
      for (let c = 0; c < ram.way; c++) {
        const cr = classRam(ram, q, c);
        expect(cr.classScore).toBeCloseTo(scores[q * ram.way + c], 3);
        const mean = cr.shots.reduce((a, p) => a + p.supportScore, 0) / ram.shot;
        expect(mean).toBeCloseTo(cr.classScore, 3);
        expect(cr.share.flat().reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
        const p = pairRam(ram, q, c);
        // The query-side map redistributes the same total.
        expect(p.queryContributions.reduce((a, b) => a + b, 0)).toBeCloseTo(p.supportScore, 4);
        for (const k of [0, 12, 24]) {
          const sim = regionSimilarityMap(ram, q, c, k);
          expect(Math.max(...sim)).toBeCloseTo(p.scores[k], 4);
          expect(sim[p.bestMatch[k]]).toBeCloseTo(p.scores[k], 4);
        }
      }
    const json = JSON.parse(JSON.stringify(explanationJson(x))) as { queries: unknown[]; grid: number[] };
    expect(json.queries).toHaveLength(15);
    expect(json.grid).toEqual([5, 5]);
  });

  it('renders the pair, region-match and episode-panel PNGs', async () => {
    const dir = keepDir ?? (await mkdtemp(join(tmpdir(), 'rcn-explain-png-')));
    const pngs = {
      'pair.png': await renderPairPng(x, 4, 1),
      'region.png': await renderRegionMatchPng(x, 4, 1, 12),
      'panel.png': await renderEpisodePanel(x),
    };
    for (const [name, buf] of Object.entries(pngs)) {
      const meta = await sharp(buf).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBeGreaterThan(200);
      await writeFile(join(dir, name), buf);
    }
    // The panel has a row per query.
    expect((await sharp(pngs['panel.png']).metadata()).height).toBeGreaterThan(15 * 84);
    if (!keepDir) await rm(dir, { recursive: true, force: true });
  });

  it('Explainer (the API surface): pair arrays on the grid and upsampled to the image, and PNGs', async () => {
    const ex = await Explainer.open(join(runs, 'explain'), { dataDir: data.dir });
    try {
      const p = await ex.pair('omniglot:test:5:1:3:0:0', 2, 0);
      expect(p.pair).toEqual(pairRam(x.ram, 2, 0));
      expect(p.maps.contributions.regions).toHaveLength(25);
      expect(p.maps.contributions.image).toHaveLength(28 * 28);
      // Pixel (13, 13) has its centre at 13.5: 1/8 of the way from region row / column 2 (centre 13) to 3
      // (centre 17), with the receptive-field alignment (a stretched 5x5 grid would put 13.5 in region 2's
      // middle).
      const c = p.pair.contributions;
      const f = 1 / 8;
      const lerp = (a: number, b: number) => a * (1 - f) + b * f;
      expect(p.maps.contributions.image[13 * 28 + 13]).toBeCloseTo(
        lerp(lerp(c[12], c[13]), lerp(c[17], c[18])),
        4,
      );
      expect(p.similarity).toHaveLength(25);
      expect(p.classRam.classIndex).toBe(0);
      expect((await sharp(p.png).metadata()).format).toBe('png');
      const panel = await ex.panelPng('omniglot:test:5:1:3:0:0', [0, 5]);
      expect((await sharp(panel).metadata()).height).toBeLessThan(600);
      expect(
        (await sharp(await ex.regionMatchPng('omniglot:test:5:1:3:0:0', 2, 0, 7)).metadata()).format,
      ).toBe('png');
    } finally {
      ex.dispose();
    }
  });

  it('Grad-CAM at the head input is finite, non-negative and leaves no tensors behind', async () => {
    const arrays = await buildEpisodeArrays(ds, x.episode, { augmentQueries: false });
    const batch = arraysToBatch(arrays);
    const sf = ctx.model.encode(batch.support, false);
    const qf = ctx.model.encode(batch.query, false);
    const before = tf.memory().numTensors;
    for (const side of ['query', 'support'] as const) {
      const cam = await gradCamRegions(ctx.model, sf, qf, 5, 1, { query: 0, classIndex: 0, side });
      expect(cam).toHaveLength(25);
      expect(cam.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
      expect(Math.max(...cam)).toBeGreaterThan(0);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([sf, qf]);
    batch.dispose();
  });

  it('finds prototypical parts deterministically and renders the gallery', async () => {
    const before = tf.memory().numTensors;
    const opts = { classId: ds.classes[3].id, episodes: 6, way: 5, shot: 1, query: 3, seed: 0, parts: 3 };
    const a = await prototypicalParts(ctx.model, ds, opts);
    const b = await prototypicalParts(ctx.model, ds, opts);
    expect(tf.memory().numTensors).toBe(before);
    expect(b).toEqual(a);
    expect(a.queries).toBe(18);
    expect(a.parts.length).toBeGreaterThan(0);
    for (const p of a.parts) {
      expect(p.frequency).toBeGreaterThan(0);
      expect(p.frequency).toBeLessThanOrEqual(1);
      expect(p.patches.length).toBeGreaterThan(0);
    }
    const png = await renderPartsGallery(ds, a, ctx.geometry);
    expect((await sharp(png).metadata()).format).toBe('png');
    if (keepDir) await writeFile(join(keepDir, 'parts.png'), png);
  });

  it('RAM-ordered deletion lowers the true class probability faster than random deletion', async () => {
    const before = tf.memory().numTensors;
    const rep = await measureFaithfulness(ctx.model, ds, {
      split: 'test',
      way: 5,
      shot: 1,
      query: 2,
      seed: 11,
      episodes: 40,
      side: 'query',
      queriesPerEpisode: 2,
      steps: 10,
    });
    expect(tf.memory().numTensors).toBe(before);
    console.log(formatFaithfulness(rep));
    expect(rep.pairs).toBe(80);
    const by = Object.fromEntries(rep.methods.map((m) => [m.method, m]));
    // Paired over the same (episode, query): the mean AUC difference and its standard error.
    const diff = by.random.deletionAucs.map((v, i) => v - by.ram.deletionAucs[i]);
    const mean = diff.reduce((a, b) => a + b, 0) / diff.length;
    const se = Math.sqrt(diff.reduce((a, b) => a + (b - mean) ** 2, 0) / (diff.length - 1) / diff.length);
    console.log(
      `deletion AUC, random - RAM: ${mean.toFixed(4)} ± ${(1.96 * se).toFixed(4)} (95% CI, ${diff.length} pairs)`,
    );
    expect(by.ram.deletion.auc).toBeLessThan(by.random.deletion.auc);
    expect(mean).toBeGreaterThan(0);
    // Curves start at the unperturbed probability and end on the blank image, the same for every method.
    for (const m of rep.methods) {
      expect(m.deletion.curve[0]).toBeCloseTo(by.ram.deletion.curve[0], 6);
      expect(m.insertion.curve[10]).toBeCloseTo(by.ram.deletion.curve[0], 6);
    }
  });
});
