/**
 * Parity with the authors' PyTorch RCN (shared/golden/README.md). Every case folder under RCN_GOLDEN_DIR
 * (default ../shared/golden beside the repository) is one training-mode episode; its manifest says what it is
 * (backbone, image size, way, shot, queries per class), so any set of cases made by the same generator runs.
 *
 * Reference: the float64 recomputation of the same step (`f64/`), not the stored float32 run, whose own
 * round-off is ~1e-5 and whose branches at near-ties are arbitrary. Where a ReLU / LeakyReLU input, a 2x2
 * max-pool window or a max over query regions is within round-off of a tie, float32 implementations may
 * legitimately take either branch and the gradient moves by up to a few 1e-2; the case lists those sites
 * (`sites.json`), and the step takes float64's branch there and nowhere else, after checking that our own
 * value there is a near-tie too (within TIE_FACTOR x the site's threshold; else the step fails naming the site).
 *
 * Relative error max|ours - ref| / max|ref| per tensor: every output in the manifest (features, regions,
 * region scores, region weights, probabilities, loss) <= 1e-4; every parameter's gradient <= 1e-3; BatchNorm
 * running statistics <= 1e-4. Conv4's conv biases before a batch-statistics BatchNorm cancel exactly (true
 * gradient 0), so their error is measured against the scale of the same conv's weight gradient.
 *
 * Running statistics: the generator ran the encoder once in training mode on the first support image with
 * every BatchNorm at weight 1 / bias 0 before loading the stored weights (the golden README's "probe"); the
 * test replays it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { allVariables, initBackend, readableSync, type BackendName } from '../../src/backend/index.js';
import {
  RCN,
  disposeOutput,
  loadReferenceWeights,
  tfToTorch,
  type EpisodeBatch,
} from '../../src/model/index.js';
import { type ForwardOutput, type GradientResult } from '../../src/model/types.js';
import {
  GOLDEN_DIR,
  caseConfig,
  goldenCases,
  goldenMissing,
  loadF32,
  loadImages,
  loadLabels,
  loadSites,
  maxAbs,
  readManifest,
  relErr,
  type GoldenManifest,
} from './golden-data.js';
import { webGpuMissing } from '../helpers/webgpu.js';

/**
 * The backends the parity test runs on: every backend we ship that runs here (CI runs them all; webgpu where
 * an adapter exists, which under CI=true must be so: lavapipe is installed by .ci/run).
 * `RCN_TEST_BACKEND` runs one backend instead.
 */
const BACKENDS: BackendName[] = process.env.RCN_TEST_BACKEND
  ? [process.env.RCN_TEST_BACKEND as BackendName]
  : ['wasm', 'cpu', ...((await webGpuMissing()) === null ? (['webgpu'] as const) : [])];

/** An 84 px case takes minutes on the cpu backend, and other cases may have more images. */
const CASE_TIMEOUT_MS = 1_200_000;

const TOL_FORWARD = 1e-4;
const TOL_GRAD = 1e-3;
const TOL_STATS = 1e-4;

const CASES = goldenCases();
const missing = goldenMissing();
if (missing && process.env.CI !== 'true') console.warn(`golden tests skipped: ${missing}`);

describe('golden data', () => {
  it.runIf(process.env.CI === 'true')('is present under CI', () => {
    expect(missing).toBeNull();
  });
});

/** The values of `t` permuted (asynchronously: webgpu cannot read synchronously under Node). */
async function permuted(t: tf.Tensor, perm: number[]): Promise<Float32Array> {
  const p = tf.transpose(t, perm);
  try {
    return (await p.data()) as Float32Array;
  } finally {
    p.dispose();
  }
}

/** NHWC [B, h, w, C] -> NCHW data. */
function toNchw(t: tf.Tensor4D): Promise<Float32Array> {
  return permuted(t, [0, 3, 1, 2]);
}

/** Regions [B, R, C] -> [B, C, R] data (the reference's NCHW pooled map). */
function regionsToNchw(t: tf.Tensor3D): Promise<Float32Array> {
  return permuted(t, [0, 2, 1]);
}

/** Our value of a reference output file, in the reference's layout. */
async function ourOutput(name: string, out: ForwardOutput, loss: tf.Scalar): Promise<Float32Array> {
  const need = <T>(t: T | undefined): T => {
    if (!t) throw new Error(`output ${name}: not kept by the model`);
    return t;
  };
  switch (name) {
    case 'support_features':
      return toNchw(need(out.supportFeatures));
    case 'query_features':
      return toNchw(need(out.queryFeatures));
    case 'support_regions':
      return regionsToNchw(need(out.supportRegions));
    case 'query_regions':
      return regionsToNchw(need(out.queryRegions));
    case 'region_scores':
      return (await need(out.regionScores).data()) as Float32Array;
    case 'region_weights':
      return (await need(out.regionWeights).data()) as Float32Array;
    case 'probs':
      return (await out.probs.data()) as Float32Array;
    case 'loss':
      return (await loss.data()) as Float32Array;
    default:
      throw new Error(`reference output ${name}: the test does not know it`);
  }
}

/** The reference files of one kind (`outputs`, `grads`, `buffers`) listed in the manifest, by tensor name. */
function listed(m: GoldenManifest, kind: string): string[] {
  return Object.keys(m.shapes)
    .filter((k) => k.startsWith(`${kind}/`))
    .map((k) => k.slice(kind.length + 1).replace(/\.npy$/, ''))
    .sort();
}

/** The generator's probe (see the file comment): first support image, BatchNorm weights at 1 / 0. */
async function replayProbe(model: RCN, dir: string, support: tf.Tensor4D): Promise<void> {
  await readableSync(allVariables());
  const w = model.getWeights();
  for (const [name, t] of w) {
    if (!name.startsWith('encoder.') || !/(bn\d|downsample\.1|layer\d\.1)\.(weight|bias)$/.test(name))
      continue;
    t.data.fill(name.endsWith('.weight') ? 1 : 0);
  }
  model.setWeights(w);
  tf.tidy(() => {
    model.encode(tf.slice(support, [0, 0, 0, 0], [1, -1, -1, -1]), true);
  });
  await loadReferenceWeights(model, dir, { buffers: false });
}

type Row = Record<string, number | string>;
const summary: Record<string, Record<string, Row>> = {};

for (const backend of BACKENDS) {
  describe.skipIf(missing !== null)(`golden episodes against float64 (${backend} backend)`, () => {
    const rows: Record<string, Row> = {};
    summary[backend] = rows;
    beforeAll(async () => {
      await initBackend(backend);
    });
    afterAll(() => {
      console.log(`golden relative errors against f64/ on ${backend}:\n${JSON.stringify(rows, null, 1)}`);
    });

    for (const name of CASES) {
      it(
        name,
        async () => {
          const t0 = performance.now();
          const dir = join(GOLDEN_DIR, name);
          const m = readManifest(dir);
          const ref = async (p: string) => {
            const a = await loadF32(join(dir, 'f64', p));
            const want = m.shapes[p];
            if (want && want.join() !== a.shape.join())
              throw new Error(`${join(dir, 'f64', p)}: shape [${a.shape}] but the manifest says [${want}]`);
            return a.data;
          };
          const sites = loadSites(dir);
          const row: Row = {};
          rows[name] = row;
          const tensorsBefore = tf.memory().numTensors;
          const model = new RCN(caseConfig(m));
          const support = await loadImages(join(dir, 'inputs/support.npy'));
          const query = await loadImages(join(dir, 'inputs/query.npy'));
          const queryLabels = await loadLabels(join(dir, 'inputs/query_labels.npy'));
          let res: GradientResult | null = null;
          try {
            const size = [m.image_size, m.image_size, 3];
            expect(support.shape).toEqual([m.n_way * m.k_shot, ...size]);
            expect(query.shape).toEqual([m.n_way * m.queries_per_class, ...size]);
            expect(model.featureMapSize()).toEqual([m.feature_width, m.feature_width]);
            expect(model.regions).toBe(m.regions);
            const batch: EpisodeBatch = { support, query, queryLabels, way: m.n_way, shot: m.k_shot };
            await loadReferenceWeights(model, dir, { buffers: false });
            await replayProbe(model, dir, support);

            res = model.computeGradients(batch, { intermediates: true, branches: sites.branches });
            // Our values at the sites were gathered during the step; each must be a near-tie for us too.
            await sites.branches.checks.verify();
            // Every call with sites was looked up under its name: none can be skipped by a naming mismatch.
            for (const key of [...sites.activationCalls, ...sites.poolCalls])
              expect(sites.seen.has(key), `sites for ${key} were never consulted`).toBe(true);
            row.sites = `${sites.counts.activation}/${sites.counts.maxpool}/${sites.counts.region_max}`;

            const out = res.output;
            if (!out) throw new Error('no output kept');
            let worstFwd = 0;
            const outputs = listed(m, 'outputs');
            expect(outputs).toEqual(
              expect.arrayContaining(['loss', 'probs', 'region_scores', 'region_weights']),
            );
            for (const o of outputs) {
              const e = relErr(await ourOutput(o, out, res.loss), await ref(`outputs/${o}.npy`));
              row[o] = e;
              worstFwd = Math.max(worstFwd, e);
              expect.soft(e, `${name} ${o}`).toBeLessThanOrEqual(TOL_FORWARD);
            }
            row['forward (worst)'] = worstFwd;

            const grads = listed(m, 'grads');
            expect([...res.grads.keys()].sort()).toEqual(grads);
            let worstGrad: [string, number] = ['', 0];
            for (const p of grads) {
              const g = res.grads.get(p) as tf.Tensor;
              const ours = tfToTorch({ shape: g.shape, data: (await g.data()) as Float32Array });
              expect(ours.shape, `grad ${p} shape`).toEqual(m.shapes[`grads/${p}.npy`]);
              const refG = await ref(`grads/${p}.npy`);
              const cancels = m.backbone === 'conv4' && /^encoder\.layer\d+\.0\.bias$/.test(p);
              const scale = cancels
                ? maxAbs(await ref(`grads/${p.replace(/bias$/, 'weight')}.npy`))
                : undefined;
              const e = relErr(ours.data, refG, scale);
              if (e > worstGrad[1]) worstGrad = [p, e];
              expect.soft(e, `${name} grad ${p}`).toBeLessThanOrEqual(TOL_GRAD);
            }
            row['grad (worst)'] = worstGrad[1];
            row['grad worst param'] = worstGrad[0];

            const buffers = listed(m, 'buffers');
            await readableSync(allVariables());
            const weights = model.getWeights();
            let worstBuf = 0;
            for (const b of buffers) {
              const t = weights.get(b);
              if (!t) throw new Error(`${name}: the model has no buffer ${b}`);
              const e = relErr(t.data, await ref(`buffers/${b}.npy`));
              worstBuf = Math.max(worstBuf, e);
              expect.soft(e, `${name} buffer ${b}`).toBeLessThanOrEqual(TOL_STATS);
            }
            expect(buffers.length).toBeGreaterThan(0);
            row['running stats (worst)'] = worstBuf;
            disposeOutput(out);
          } finally {
            sites.branches.checks.dispose();
            if (res) {
              res.loss.dispose();
              tf.dispose([...res.grads.values()]);
            }
            tf.dispose([support, query, queryLabels]);
            model.dispose();
          }
          expect(tf.memory().numTensors, `${name}: tensors leaked`).toBe(tensorsBefore);
          row.seconds = Math.round((performance.now() - t0) / 100) / 10;
        },
        CASE_TIMEOUT_MS,
      );
    }
  });
}
