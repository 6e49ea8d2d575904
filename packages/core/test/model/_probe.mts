import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/index.js';
import { RCN, loadReferenceWeights } from '../../src/model/index.js';
import { caseConfig, readManifest, loadImages, loadF32 } from './golden-data.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
await initBackend('wasm');
const name = process.argv[2];
const dir = join('/work/shared/golden', name);
const m = readManifest(dir);
const model = new RCN({ ...caseConfig(m), bnMomentum: 1 });
await loadReferenceWeights(model, dir, { buffers: false });
const support = await loadImages(join(dir, 'inputs/support.npy'));
const query = await loadImages(join(dir, 'inputs/query.npy'));
const variant = process.argv[3] ?? '';
if (variant === 'bnreset') {
  const w = model.getWeights();
  for (const [n, t] of w) if (/\.(bn\d|downsample\.1)\.weight$/.test(n)) t.data.fill(1); else if (/\.(bn\d|downsample\.1)\.bias$/.test(n)) t.data.fill(0);
  model.setWeights(w);
}
const sets: Record<string, tf.Tensor4D> = { s0: tf.slice(support, [0,0,0,0],[1,-1,-1,-1]), s: support, q: query, q0: tf.slice(query,[0,0,0,0],[1,-1,-1,-1]) };
const out: Record<string, Record<string, number[]>> = {};
for (const [k, x] of Object.entries(sets)) {
  if (variant === 'bnreset' && k === 's') await loadReferenceWeights(model, dir, { buffers: false });
  tf.dispose(model.encode(x, true));
  out[k] = {};
  for (const [n, t] of model.getWeights()) if (n.startsWith('encoder.') && n.includes('running')) out[k][n] = Array.from(t.data);
}
const ref: Record<string, number[]> = {};
for (const n of Object.keys(out.s)) ref[n] = Array.from((await loadF32(join(dir, 'buffers', n + '.npy'))).data);
writeFileSync(`/tmp/rcnw/stats_${name}.json`, JSON.stringify({ out, ref }));
