/**
 * What `scripts/gpu-check.sh` runs on a GPU machine (bundled by esbuild into one file, see prepare.sh):
 * the WebGPU adapter and its limits, golden parity on webgpu (the authors' PyTorch tensors), and the
 * training / evaluation bench at full episode size. Each part writes JSON into OUTDIR as soon as it is done,
 * so a run cut short by its time limit still leaves what it measured.
 *
 *   node check.mjs OUTDIR GOLDEN_DIR [--seconds N] [--skip golden,bench] [--skip-steps 'ResNet-12,evaluation']
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, readNpy, RCN, loadReferenceWeights, tfToTorch, type EpisodeBatch } from '@rcn/core';
import { runSteps } from './steps.js';

const [outDir, goldenDir] = process.argv.slice(2);
const flag = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
if (!outDir || !goldenDir) throw new Error('usage: node check.mjs OUTDIR GOLDEN_DIR [--seconds N]');
const write = (name: string, value: unknown) =>
  writeFileSync(join(outDir, name), JSON.stringify(value, null, 1) + '\n');

async function f32(path: string): Promise<{ shape: number[]; data: Float32Array }> {
  const a = await readNpy(path);
  return { shape: a.shape, data: Float32Array.from(a.data as ArrayLike<number>) };
}

function relErr(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) return Number.POSITIVE_INFINITY;
  let d = 0;
  let m = 0;
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(ours[i] - ref[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return m === 0 ? d : d / m;
}

async function nchwToNhwc(path: string): Promise<tf.Tensor4D> {
  const a = await f32(path);
  return tf.tidy(() =>
    tf.transpose(tf.tensor4d(a.data, a.shape as [number, number, number, number]), [0, 2, 3, 1]),
  );
}

/**
 * One golden case on the current backend, as the golden test does it but without its wasm-specific replays
 * (the generator's BatchNorm probe and the activation kinks): relative errors of the outputs and the worst
 * raw gradient error (the test bounds the raw one by 2e-2 and the forward outputs by 1e-4).
 */
async function goldenCase(dir: string): Promise<Record<string, number | string>> {
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    backbone: 'conv4' | 'resnet12';
    image_size: number;
    n_way: number;
    k_shot: number;
    shapes: Record<string, number[]>;
  };
  const key = (i: number) =>
    m.backbone === 'conv4'
      ? `weights/encoder.layer${i}.0.weight.npy`
      : `weights/encoder.layer${i}.0.conv1.weight.npy`;
  const widths = [1, 2, 3, 4].map((i) => m.shapes[key(i)][0]) as [number, number, number, number];
  const model = new RCN({ backbone: m.backbone, imageSize: m.image_size, widths });
  const labels = await readNpy(join(dir, 'inputs/query_labels.npy'));
  const batch: EpisodeBatch = {
    support: await nchwToNhwc(join(dir, 'inputs/support.npy')),
    query: await nchwToNhwc(join(dir, 'inputs/query.npy')),
    queryLabels: tf.tensor1d(Array.from(labels.data as ArrayLike<number>, Number), 'int32'),
    way: m.n_way,
    shot: m.k_shot,
  };
  try {
    await loadReferenceWeights(model, dir, { buffers: false });
    const t0 = performance.now();
    const res = model.computeGradients(batch, { keepOutput: true });
    const out = res.output!;
    const err: Record<string, number | string> = {
      probs: relErr(await out.probs.data(), (await f32(join(dir, 'outputs/probs.npy'))).data),
      loss: relErr(await res.loss.data(), (await f32(join(dir, 'outputs/loss.npy'))).data),
    };
    if (out.regionScores)
      err.region_scores = relErr(
        await out.regionScores.data(),
        (await f32(join(dir, 'outputs/region_scores.npy'))).data,
      );
    if (out.regionWeights)
      err.region_weights = relErr(
        await out.regionWeights.data(),
        (await f32(join(dir, 'outputs/region_weights.npy'))).data,
      );
    let worst = 0;
    let worstName = '';
    for (const [name, g] of res.grads) {
      const ours = tfToTorch({ shape: g.shape, data: (await g.data()) as Float32Array }).data;
      const ref = (await f32(join(dir, `grads/${name}.npy`))).data;
      let e = relErr(ours, ref);
      // Conv4's conv biases before batch-statistics BatchNorm: true gradient 0, measured on the weight's scale.
      if (m.backbone === 'conv4' && /^encoder\.layer\d\.0\.bias$/.test(name)) {
        const w = (await f32(join(dir, `grads/${name.replace(/bias$/, 'weight')}.npy`))).data;
        e = Math.max(...Array.from(ours, Math.abs)) / Math.max(...Array.from(w, Math.abs));
      }
      if (e > worst) [worst, worstName] = [e, name];
    }
    err['grad (worst, raw)'] = worst;
    err['grad worst param'] = worstName;
    err.stepMs = performance.now() - t0;
    tf.dispose([res.loss, ...res.grads.values(), ...(Object.values(out) as tf.Tensor[])]);
    return err;
  } finally {
    tf.dispose([batch.support, batch.query, batch.queryLabels!]);
    model.dispose();
  }
}

async function main(): Promise<void> {
  const skip = (flag('--skip') ?? '').split(',');
  const info = await initBackend('webgpu');
  write('adapter.json', info);
  console.log(`adapter: ${info.devices.join('; ')}`);

  if (!skip.includes('golden')) {
    const golden: Record<string, unknown> = {};
    const cases = existsSync(goldenDir)
      ? readdirSync(goldenDir).filter((c) => existsSync(join(goldenDir, c, 'manifest.json')))
      : [];
    for (const c of cases.sort()) {
      try {
        golden[c] = await goldenCase(join(goldenDir, c));
      } catch (e) {
        golden[c] = { error: e instanceof Error ? e.message : String(e) };
      }
      console.log(`golden ${c}: ${JSON.stringify(golden[c])}`);
      write('golden.json', { backend: info.name, adapter: info.adapter?.description, cases: golden });
    }
  }

  if (!skip.includes('bench')) {
    const rows = await runSteps({
      backend: 'webgpu',
      seconds: Number(flag('--seconds') ?? 10),
      skip: flag('--skip-steps')?.split(','),
    });
    write('bench.json', { backend: info.name, adapter: info.adapter, date: new Date().toISOString(), rows });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
