/**
 * `pnpm bench --reference torch`: our training step side by side with a PyTorch one
 * (packages/bench/reference/rcn_step.py, the same RCN step: same shapes, batch-statistics BatchNorm,
 * per-module clipping, Adam), on one machine in one run (issue 16).
 *
 * Per configuration: first a parity check (both compute the loss and gradients of one episode at the same
 * weights; a ratio between two different computations would mean nothing), then `rounds` rounds of ours
 * then PyTorch, alternating (A B A B), each in a fresh worker pool or process, so that machine noise hits
 * both. Ours: wasm, `threads` workers, each on its own episode (the trainer's data-parallel step); PyTorch:
 * `threads` intra-op threads on one episode. Both figures are episodes per second.
 *
 * Skipped, with a row that says why, when no python3 with torch is found (`RCN_PYTHON` if set, else
 * `python3` then `/usr/bin/python3`: Debian's python3-torch lives in the system Python, which a pyenv or
 * venv `python3` on the PATH hides).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import {
  initBackend,
  type EpisodeArrays,
  encodeNpy,
  readNpy,
  type WeightMap,
  RCN,
  tfToTorch,
  Adam,
  clipGradNormPerModule,
  startReplicas,
  type ModelReplicas,
} from '@rcn/core';
import { syntheticEpisode } from './compute.js';
import { referencePlan, type ReferenceConfig } from './reference-args.js';
import type { BenchRow } from './table.js';

const run$ = promisify(execFile);

/** The script beside the sources (src/ or dist/ -> reference/). */
export function referenceScript(): string {
  return fileURLToPath(new URL('../reference/rcn_step.py', import.meta.url));
}

export interface TorchFound {
  python: string;
  torch: string;
}

/**
 * The first interpreter that imports torch and numpy, or what each tried one said. `RCN_PYTHON`, when set,
 * is the only candidate (an explicit choice is not silently replaced by another interpreter).
 */
export function findTorch(
  candidates = process.env.RCN_PYTHON ? [process.env.RCN_PYTHON] : ['python3', '/usr/bin/python3'],
): TorchFound | { tried: string[] } {
  const tried: string[] = [];
  for (const python of [...new Set(candidates.filter((c): c is string => !!c))]) {
    const r = spawnSync(python, ['-c', 'import torch, numpy; print(torch.__version__)'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status === 0) return { python, torch: r.stdout.trim() };
    const why = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
    tried.push(`${python}: ${why}`);
  }
  return { tried };
}

function label(c: ReferenceConfig): string {
  const net = c.backbone === 'conv4' ? 'Conv4' : 'ResNet-12';
  return (
    `${net} ${c.imageSize}px ${c.way}-way ${c.shot}-shot ${c.query}q, ` +
    `${c.threads} thread${c.threads > 1 ? 's' : ''} / ${c.threads} worker${c.threads > 1 ? 's' : ''}`
  );
}

function scriptArgs(c: ReferenceConfig): string[] {
  return [
    referenceScript(),
    '--backbone',
    c.backbone,
    '--image-size',
    String(c.imageSize),
    '--way',
    String(c.way),
    '--shot',
    String(c.shot),
    '--query',
    String(c.query),
    '--threads',
    String(c.threads),
  ];
}

/** Runs the script; its result is the JSON object on the last line of its output. */
async function runScript(
  python: string,
  c: ReferenceConfig,
  extra: string[],
): Promise<Record<string, unknown>> {
  const t = String(c.threads);
  const { stdout } = await run$(python, [...scriptArgs(c), ...extra], {
    env: { ...process.env, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t },
    maxBuffer: 16 * 2 ** 20,
    timeout: 3_600_000,
  });
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`reference script printed no JSON result (last line: '${last.slice(0, 200)}')`);
  }
}

/** NHWC float32 images -> NCHW, as the reference (and the golden tensors) lay them out. */
export function nhwcToNchw(data: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) out[((b * c + k) * h + y) * w + x] = data[((b * h + y) * w + x) * c + k];
  return out;
}

/**
 * Writes what `rcn_step.py --check` reads: `weights/<name>.npy` (PyTorch layout) and
 * `inputs/{support,query,query_labels}.npy` (NCHW).
 */
export async function writeCheckDir(dir: string, params: WeightMap, ep: EpisodeArrays): Promise<void> {
  await mkdir(join(dir, 'weights'), { recursive: true });
  await mkdir(join(dir, 'inputs'), { recursive: true });
  for (const [name, t] of params) {
    const pt = tfToTorch(t);
    await writeFile(join(dir, 'weights', `${name}.npy`), encodeNpy({ dtype: 'float32', ...pt }));
  }
  const { height: h, width: w } = ep;
  const images = (data: Float32Array, n: number) =>
    encodeNpy({ dtype: 'float32', shape: [n, 3, h, w], data: nhwcToNchw(data, n, h, w, 3) });
  const ns = ep.way * ep.shot;
  const nq = ep.way * ep.query;
  await writeFile(join(dir, 'inputs', 'support.npy'), images(ep.support, ns));
  await writeFile(join(dir, 'inputs', 'query.npy'), images(ep.queries, nq));
  await writeFile(
    join(dir, 'inputs', 'query_labels.npy'),
    encodeNpy({ dtype: 'int32', shape: [nq], data: ep.queryLabels }),
  );
}

/**
 * ||a - b|| / ||b|| (L2, over the whole tensor), or against `scale` when given. L2 rather than the max
 * entry: float32 round-off can put a single pre-activation or max on the other side of a tie, which moves a
 * few entries of a gradient by a lot (shared/golden/README.md) but the whole tensor by little; a wrong
 * computation moves the whole tensor.
 */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>, scale?: number): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  const s = scale ?? Math.sqrt(den);
  return s > 0 ? Math.sqrt(num) / s : Math.sqrt(num);
}

function l2(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] ** 2;
  return Math.sqrt(s);
}

export interface Parity {
  oursLoss: number;
  torchLoss: number;
  lossRel: number;
  gradRel: number;
  worstParam: string;
  ok: boolean;
}

/**
 * The same step: the loss within LOSS_TOL (relative) and every gradient within GRAD_TOL (see relError).
 * Gradients get a wider margin: different summation orders (XNNPACK against oneDNN) and branches taken at
 * near-ties move a full-width ResNet-12's smallest BatchNorm gradients by several 1e-3 (6e-3 seen at 32 px),
 * while a wrong computation is off by O(1).
 */
export const LOSS_TOL = 1e-4;
export const GRAD_TOL = 5e-2;

/**
 * Compares our gradients (TF.js layout) with the reference's `torch/grads/<name>.npy` in `dir`. A conv bias
 * before a batch-statistics BatchNorm has a true gradient of 0; it is measured against its conv weight's
 * gradient scale, as the golden tests do.
 */
export async function compareGradients(dir: string, oursLoss: number, ours: WeightMap): Promise<Parity> {
  const torchLoss = (await readNpy(join(dir, 'torch', 'loss.npy'))).data[0] as number;
  let gradRel = 0;
  let worstParam = '';
  for (const [name, g] of ours) {
    const ref = await readNpy(join(dir, 'torch', 'grads', `${name}.npy`));
    const mine = tfToTorch(g).data;
    let scale: number | undefined;
    if (/^encoder\.layer\d\.0\.bias$/.test(name)) {
      const w = ours.get(name.replace(/bias$/, 'weight'));
      scale = w ? l2(w.data) : undefined;
    }
    const e = relError(mine, ref.data as ArrayLike<number>, scale);
    if (e > gradRel || !Number.isFinite(e)) {
      gradRel = e;
      worstParam = name;
    }
  }
  const lossRel = Math.abs(oursLoss - torchLoss) / Math.max(Math.abs(torchLoss), 1e-12);
  return {
    oursLoss,
    torchLoss,
    lossRel,
    gradRel,
    worstParam,
    ok: lossRel <= LOSS_TOL && gradRel <= GRAD_TOL,
  };
}

function modelConfig(c: ReferenceConfig) {
  return { backbone: c.backbone, imageSize: c.imageSize, seed: 1 };
}

async function withPool<T>(c: ReferenceConfig, f: (pool: ModelReplicas) => Promise<T>): Promise<T> {
  const pool = await startReplicas({ workers: c.threads, backend: 'wasm', model: modelConfig(c) });
  try {
    return await f(pool);
  } finally {
    await pool.close();
  }
}

function episodeFor(c: ReferenceConfig, seed: number): EpisodeArrays {
  return syntheticEpisode(c.imageSize, seed, c.way, c.shot, c.query);
}

/** Both sides' loss and gradients for one episode at our model's initial weights. */
async function parityCheck(python: string, c: ReferenceConfig): Promise<Parity> {
  const dir = await mkdtemp(join(tmpdir(), 'rcn-reference-'));
  const model = new RCN(modelConfig(c));
  try {
    const weights = model.getWeights();
    const params = new Map([...weights].filter(([n]) => model.store.params.has(n)));
    const ep = episodeFor(c, 99);
    await writeCheckDir(dir, params, ep);
    const ours = await withPool({ ...c, threads: 1 }, (pool) => pool.gradients(weights, [ep]));
    await runScript(python, c, ['--check', dir]);
    return await compareGradients(dir, ours.loss, ours.grads);
  } finally {
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

interface RoundResult {
  episodesPerS: number;
  medianStepS: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * One round of ours: a fresh pool of `threads` workers, each computing one episode's gradients per step;
 * the main thread averages them, clips per module and applies Adam, as the trainer's parallel step does.
 */
async function oursRound(c: ReferenceConfig): Promise<RoundResult> {
  const model = new RCN(modelConfig(c));
  const adam = new Adam({ lr: 1e-3 });
  try {
    return await withPool(c, async (pool) => {
      const batches = Array.from({ length: c.threads }, (_, i) => episodeFor(c, 10 + i));
      const step = async () => {
        const r = await pool.gradients(model.getWeights(), batches);
        const grads = new Map([...r.grads].map(([k, v]) => [k, tf.tensor(v.data, v.shape, 'float32')]));
        await clipGradNormPerModule(grads, 0.5);
        adam.apply(model.trainableVariables(), grads);
        tf.dispose([...grads.values()]);
        model.setWeights(r.buffers, true);
      };
      await step(); // warm-up, as the reference's
      const times: number[] = [];
      for (let i = 0; i < c.steps; i++) {
        const t0 = performance.now();
        await step();
        times.push((performance.now() - t0) / 1000);
      }
      const med = median(times);
      return { medianStepS: med, episodesPerS: c.threads / med };
    });
  } finally {
    adam.dispose();
    model.dispose();
  }
}

async function torchRound(python: string, c: ReferenceConfig): Promise<RoundResult & { blas: string }> {
  const r = await runScript(python, c, ['--steps', String(c.steps), '--warmup', '1']);
  return {
    medianStepS: r.medianStepS as number,
    episodesPerS: r.episodesPerS as number,
    blas: typeof r.blas === 'string' ? r.blas : 'unknown',
  };
}

/** Issue 16's targets (ratios on both cores). */
function targetFor(c: ReferenceConfig): { ratio: number; text: string } | null {
  if (c.threads !== 2 || c.way !== 5 || c.shot !== 1 || c.query !== 15) return null;
  if (c.backbone === 'conv4' && c.imageSize === 84) return { ratio: 1.0, text: '>= 1.0x PyTorch' };
  if (c.backbone === 'conv4' && c.imageSize === 32) return { ratio: 1.2, text: '>= 1.2x PyTorch' };
  if (c.backbone === 'resnet12' && c.imageSize === 84) return { ratio: 0.8, text: '>= 0.8x PyTorch' };
  return null;
}

const range = (xs: number[], digits = 2) => {
  const lo = Math.min(...xs).toFixed(digits);
  const hi = Math.max(...xs).toFixed(digits);
  return lo === hi ? lo : `${lo}-${hi}`;
};

/** Runs one configuration: parity, then the interleaved rounds; one row. */
async function compare(
  python: string,
  torchVersion: string,
  c: ReferenceConfig,
  rounds: number,
): Promise<BenchRow> {
  const name = `${label(c)}: ours / PyTorch`;
  process.stderr.write(`bench reference: ${label(c)}: parity check...\n`);
  const parity = await parityCheck(python, c);
  process.stderr.write(
    `bench reference: loss ours ${parity.oursLoss.toPrecision(7)} torch ${parity.torchLoss.toPrecision(7)} ` +
      `(rel ${parity.lossRel.toExponential(1)}), gradients rel ${parity.gradRel.toExponential(1)} ` +
      `(${parity.worstParam}): ${parity.ok ? 'same step' : 'MISMATCH'}\n`,
  );
  const ours: RoundResult[] = [];
  const torch: (RoundResult & { blas: string })[] = [];
  for (let r = 0; r < rounds; r++) {
    ours.push(await oursRound(c));
    torch.push(await torchRound(python, c));
    process.stderr.write(
      `bench reference: round ${r + 1}/${rounds}: ours ${ours[r].episodesPerS.toFixed(3)} episodes/s, ` +
        `PyTorch ${torch[r].episodesPerS.toFixed(3)} episodes/s\n`,
    );
  }
  const ratios = ours.map((o, i) => o.episodesPerS / torch[i].episodesPerS);
  const ratio = median(ratios);
  const target = targetFor(c);
  return {
    section: 'reference',
    name,
    value: ratio,
    unit: 'x',
    extra: {
      oursEpisodesPerS: range(
        ours.map((o) => o.episodesPerS),
        3,
      ),
      torchEpisodesPerS: range(
        torch.map((t) => t.episodesPerS),
        3,
      ),
      ratios: range(ratios),
      rounds,
      steps: c.steps,
      torch: torchVersion,
      blas: torch[0]?.blas ?? 'unknown',
      lossRel: parity.lossRel.toExponential(1),
      gradRel: parity.gradRel.toExponential(1),
      parity: parity.ok ? 'same step' : `MISMATCH (${parity.worstParam})`,
    },
    target: target
      ? { text: `${target.text} (and the same step)`, met: parity.ok && ratio >= target.ratio }
      : { text: 'the reference computes the same step', met: parity.ok },
  };
}

/** The side-by-side table, for the terminal and the README. */
export function sideBySideTable(rows: BenchRow[]): string {
  const lines = [
    '| configuration | PyTorch episodes/s | ours episodes/s | ratio (per round) |',
    '| --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    if (r.section !== 'reference' || !r.extra?.torchEpisodesPerS) continue;
    const cfg = r.name.replace(/: ours \/ PyTorch$/, '');
    lines.push(`| ${cfg} | ${r.extra.torchEpisodesPerS} | ${r.extra.oursEpisodesPerS} | ${r.extra.ratios} |`);
  }
  return lines.join('\n');
}

export function skippedRow(reason: string): BenchRow {
  return {
    section: 'reference',
    name: 'PyTorch reference (skipped)',
    value: Number.NaN,
    unit: '',
    extra: { reason },
  };
}

/** The authors' golden episodes (shared/golden), or null when absent. */
export function goldenDir(): string | null {
  const dir =
    process.env.RCN_GOLDEN_DIR ?? fileURLToPath(new URL('../../../../shared/golden', import.meta.url));
  return existsSync(dir) ? dir : null;
}

/** The reference against the golden tensors of the authors' code: a row (worst gradient error over cases). */
async function goldenRow(python: string, dir: string): Promise<BenchRow> {
  process.stderr.write(`bench reference: the reference script against the golden episodes in ${dir}...\n`);
  const t = '2';
  const { stdout } = await run$(python, [referenceScript(), '--golden', dir, '--threads', t], {
    env: { ...process.env, OMP_NUM_THREADS: t },
    maxBuffer: 16 * 2 ** 20,
    timeout: 3_600_000,
  });
  const r = JSON.parse(stdout.trim().split('\n').pop() ?? '') as {
    cases: { case: string; lossRel: number; gradRel: number; worstParam: string }[];
  };
  const lossRel = Math.max(...r.cases.map((c) => c.lossRel));
  const worst = r.cases.reduce((w, c) => (c.gradRel > w.gradRel ? c : w));
  const ok = lossRel <= LOSS_TOL && worst.gradRel <= GRAD_TOL;
  return {
    section: 'reference',
    name: `reference script against the authors' golden episodes (${r.cases.length} cases): worst gradient`,
    value: worst.gradRel,
    unit: 'rel (L2)',
    extra: { lossRel: lossRel.toExponential(1), worst: `${worst.case} ${worst.worstParam}` },
    target: { text: 'loss within 1e-4, gradients within 5e-2 of the float64 reference', met: ok },
  };
}

/** The bench section; reads its plan from the command line (see `referencePlan`). */
export async function run(argv = process.argv.slice(2)): Promise<BenchRow[]> {
  const plan = referencePlan(argv) ?? referencePlan(['--reference', 'torch']);
  if (!plan) return [];
  const found = findTorch();
  if (!('python' in found)) {
    const reason =
      `no python3 with torch found (tried ${found.tried.join('; ')}); install Debian's python3-torch ` +
      '(apt-get install python3-torch) or point RCN_PYTHON at an interpreter that has torch';
    process.stderr.write(`bench reference: SKIPPED: ${reason}\n`);
    return [skippedRow(reason)];
  }
  const info = await initBackend('wasm');
  process.stderr.write(
    `bench reference: ${found.python} (torch ${found.torch}) against ours (${info.name} ${info.version}), ` +
      `${plan.rounds} interleaved rounds per configuration\n`,
  );
  const rows: BenchRow[] = [];
  const golden = goldenDir();
  if (golden) rows.push(await goldenRow(found.python, golden));
  else
    process.stderr.write(
      'bench reference: no golden episodes found (RCN_GOLDEN_DIR): reference unchecked against them\n',
    );
  for (const c of plan.configs) rows.push(await compare(found.python, found.torch, c, plan.rounds));
  console.log(sideBySideTable(rows) + '\n');
  return rows;
}
