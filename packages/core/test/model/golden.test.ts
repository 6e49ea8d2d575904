/**
 * Issue 3's acceptance test: on each golden episode, the model's forward and backward pass in training mode
 * equal the authors' PyTorch implementation's (relative error max|ours - ref| / max|ref|): features, regions,
 * region scores, region weights, probabilities and loss <= 1e-4; every parameter's gradient <= 1e-3;
 * BatchNorm running statistics <= 1e-4.
 *
 * The conv biases before a batch-statistics BatchNorm (Conv4) cancel exactly, so their true gradient is 0 and
 * ours is exactly 0; the reference stores float32 round-off (~1e-6 of the layer's weight gradient), which a
 * relative measure would blow up. Those are compared against the scale of the same conv's weight gradient.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { initBackend, type BackendName } from '../../src/backend/index.js';
import { RCN, disposeOutput, loadReferenceWeights, tfToTorch, type GradientResult } from '../../src/model/index.js';
import { GOLDEN_CASES, GOLDEN_DIR, caseConfig, goldenMissing, loadF32, loadImages, loadLabels, maxAbs, readManifest, relErr } from './golden-data.js';

const BACKEND = (process.env.RCN_TEST_BACKEND ?? 'wasm') as BackendName;
const missing = goldenMissing();
if (missing && process.env.CI !== 'true') console.warn(`golden tests skipped: ${missing}`);

describe('golden data', () => {
  it.runIf(process.env.CI === 'true')('is present under CI', () => {
    expect(missing).toBeNull();
  });
});

/** NHWC [B, h, w, C] -> NCHW data. */
function toNchw(t: tf.Tensor4D): Float32Array {
  return tf.tidy(() => tf.transpose(t, [0, 3, 1, 2]).dataSync() as Float32Array);
}

/** Regions [B, R, C] -> [B, C, R] data (the reference's NCHW pooled map). */
function regionsToNchw(t: tf.Tensor3D): Float32Array {
  return tf.tidy(() => tf.transpose(t, [0, 2, 1]).dataSync() as Float32Array);
}

const errors: Record<string, Record<string, number>> = {};

describe.skipIf(missing !== null)(`golden episodes (${BACKEND} backend)`, () => {
  beforeAll(async () => {
    await initBackend(BACKEND);
  });
  afterAll(() => {
    console.log(`relative errors on ${BACKEND}:\n${JSON.stringify(errors, null, 1)}`);
  });

  for (const name of GOLDEN_CASES) {
    it(name, async () => {
      const dir = join(GOLDEN_DIR, name);
      const m = readManifest(dir);
      const model = new RCN(caseConfig(m));
      const err: Record<string, number> = {};
      errors[name] = err;
      let res: GradientResult | undefined;
      const support = await loadImages(join(dir, 'inputs/support.npy'));
      const query = await loadImages(join(dir, 'inputs/query.npy'));
      const queryLabels = await loadLabels(join(dir, 'inputs/query_labels.npy'));
      try {
        await loadReferenceWeights(model, dir, { buffers: false });
        // The golden generator ran the encoder once, in training mode, on the first support image before the
        // episode (a shape probe the README does not mention): replaying the stored ResNet-12 running statistics
        // with it fits to 5e-7, without it they are 30% off. Replay it; under Conv4's momentum 1 it is a no-op.
        tf.tidy(() => {
          model.encode(tf.slice(support, [0, 0, 0, 0], [1, -1, -1, -1]), true);
        });
        const t0 = Date.now();
        res = model.computeGradients({ support, query, queryLabels, way: m.n_way, shot: m.k_shot }, { intermediates: true });
        const out = res.output;
        if (!out) throw new Error('no output kept');
        const ref = async (p: string) => (await loadF32(join(dir, p))).data;
        const check = async (key: string, ours: ArrayLike<number>, refPath: string, tol: number) => {
          err[key] = relErr(ours, await ref(refPath));
          expect.soft(err[key], `${name} ${key}`).toBeLessThanOrEqual(tol);
        };
        await check('support_features', toNchw(out.supportFeatures as tf.Tensor4D), 'outputs/support_features.npy', 1e-4);
        await check('query_features', toNchw(out.queryFeatures as tf.Tensor4D), 'outputs/query_features.npy', 1e-4);
        if (m.backbone === 'conv4') {
          await check('support_regions', regionsToNchw(out.supportRegions as tf.Tensor3D), 'outputs/support_regions.npy', 1e-4);
          await check('query_regions', regionsToNchw(out.queryRegions as tf.Tensor3D), 'outputs/query_regions.npy', 1e-4);
        }
        await check('region_scores', (out.regionScores as tf.Tensor3D).dataSync(), 'outputs/region_scores.npy', 1e-4);
        await check('region_weights', (out.regionWeights as tf.Tensor3D).dataSync(), 'outputs/region_weights.npy', 1e-4);
        await check('probs', out.probs.dataSync(), 'outputs/probs.npy', 1e-4);
        await check('loss', res.loss.dataSync(), 'outputs/loss.npy', 1e-4);

        let worstGrad = 0;
        let worstGradName = '';
        for (const [pname, g] of res.grads) {
          const ours = tfToTorch({ shape: g.shape, data: g.dataSync() as Float32Array }).data;
          const refG = await ref(`grads/${pname}.npy`);
          let e: number;
          const cancelled = m.backbone === 'conv4' && /^encoder\.layer\d\.0\.bias$/.test(pname);
          if (cancelled) {
            const scale = maxAbs(await ref(`grads/${pname.replace(/bias$/, 'weight')}.npy`));
            e = relErr(ours, refG) * (maxAbs(refG) / scale);
          } else {
            e = relErr(ours, refG);
          }
          err[`grad ${pname}`] = e;
          if (process.env.RCN_GOLDEN_DUMP) {
            const { writeFileSync, mkdirSync } = await import('node:fs');
            mkdirSync(process.env.RCN_GOLDEN_DUMP, { recursive: true });
            writeFileSync(join(process.env.RCN_GOLDEN_DUMP, `${name}.grad.${pname}.json`), JSON.stringify(Array.from(ours)));
          }
          if (e > worstGrad) [worstGrad, worstGradName] = [e, pname];
          expect.soft(e, `${name} grad ${pname}`).toBeLessThanOrEqual(1e-3);
        }
        err['grads (worst)'] = worstGrad;
        const weights = model.getWeights();
        let worstBuf = 0;
        for (const [bname, t] of weights) {
          if (!/running_(mean|var)$/.test(bname) || !bname.startsWith('encoder.')) continue;
          const e = relErr(t.data, await ref(`buffers/${bname}.npy`));
          worstBuf = Math.max(worstBuf, e);
          err[`buffer ${bname}`] = e;
          expect.soft(e, `${name} buffer ${bname}`).toBeLessThanOrEqual(1e-4);
        }
        err['running stats (worst)'] = worstBuf;
        err.ms = Date.now() - t0;
        console.log(`${name}: worst grad ${worstGrad.toExponential(2)} (${worstGradName}), running stats ${worstBuf.toExponential(2)}`);
        disposeOutput(out);
      } finally {
        if (res) {
          res.loss.dispose();
          for (const g of res.grads.values()) g.dispose();
        }
        tf.dispose([support, query, queryLabels]);
        model.dispose();
      }
    });
  }
});
