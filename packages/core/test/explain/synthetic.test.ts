/**
 * Explanation plumbing on untrained models and random inputs (no data needed): Conv4 at 84 px (adaptive
 * bins, regions differ from cells) and ResNet-12 (every cell a region). Numbers add up, shapes follow the
 * geometry, nothing leaks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { encodePng } from '../../src/io/index.js';
import { RCN, regionGeometry } from '../../src/model/index.js';
import { classRam, computeEpisodeRam, heatOverlay, pairRam, rangeOf } from '../../src/explain/index.js';
import { gradCamRegions } from '../../src/explain/gradcam.js';
import { Rng } from '../../src/util/rng.js';

function randomBatch(way: number, shot: number, query: number, size: number, seed: number) {
  const rng = Rng.fromKeys(seed);
  const make = (n: number) =>
    tf.tensor4d(
      Float32Array.from({ length: n * size * size * 3 }, () => rng.uniform(-1, 1)),
      [n, size, size, 3],
    );
  const labels = Int32Array.from({ length: way * query }, (_v, i) => Math.floor(i / query));
  return {
    support: make(way * shot),
    query: make(way * query),
    queryLabels: tf.tensor1d(labels, 'int32'),
    way,
    shot,
  };
}

describe('explanations on synthetic inputs', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  for (const [name, cfg, regions] of [
    ['Conv4 84 px, 5x5 adaptive grid', { backbone: 'conv4', widths: [8, 8, 8, 8], imageSize: 84 }, 25],
    ['ResNet-12 32 px, cells as regions', { backbone: 'resnet12', widths: [4, 4, 4, 8], imageSize: 32 }, 4],
  ] as const) {
    it(`${name}: RAM sums to the class scores, Grad-CAM per region, overlays render, no leaks`, async () => {
      const model = new RCN({ ...cfg, widths: [...cfg.widths] as [number, number, number, number], seed: 3 });
      const batch = randomBatch(3, 2, 2, cfg.imageSize, 5);
      // The first pass builds the model's cached region pooler (kept on purpose); count after it.
      await computeEpisodeRam(model, batch);
      const before = tf.memory().numTensors;
      const ram = await computeEpisodeRam(model, batch);
      expect(ram.regions).toBe(regions);
      for (let q = 0; q < ram.queries; q++)
        for (let c = 0; c < 3; c++) {
          const cr = classRam(ram, q, c);
          const mean = cr.shots.reduce((a, p) => a + p.supportScore, 0) / 2;
          expect(mean).toBeCloseTo(cr.classScore, 3);
        }
      const sf = model.encode(batch.support, false);
      const qf = model.encode(batch.query, false);
      const cam = await gradCamRegions(model, sf, qf, 3, 2, {
        query: 1,
        classIndex: 2,
        side: 'support',
        support: 5,
      });
      expect(cam).toHaveLength(regions);
      expect(cam.every(Number.isFinite)).toBe(true);
      tf.dispose([sf, qf]);
      expect(tf.memory().numTensors).toBe(before);
      const geom = regionGeometry(model.config);
      expect(geom.gridH * geom.gridW).toBe(regions);
      const img = {
        width: cfg.imageSize,
        height: cfg.imageSize,
        data: new Uint8Array(cfg.imageSize * cfg.imageSize * 3).fill(200),
      };
      const p = pairRam(ram, 0, 0);
      const png = await encodePng(
        heatOverlay(img, p.contributions, geom, rangeOf(p.contributions), { size: 2 * cfg.imageSize }),
      );
      expect((await sharp(png).metadata()).width).toBe(2 * cfg.imageSize);
      tf.dispose([batch.support, batch.query, batch.queryLabels]);
      model.dispose();
    });
  }
});
