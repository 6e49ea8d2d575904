/**
 * Sweeps: a grid over configuration keys times seeds, one training + evaluation job per cell, and the
 * paper table over them (per setting: mean test accuracy over seeds, 95% CI across seeds with Student's
 * t). Runs are files first: the plan is `<runsDir>/sweeps/<name>.json`, each cell is an ordinary run
 * directory named after the cell, and status and report are read from those files, whichever engine (and
 * however many machines) ran the cells.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  configErrorFrom,
  boundedIntSchema,
  intFieldSchema,
  EVAL_FIELDS,
  meanCi95,
  writeJsonAtomic,
  openDataset,
  type FewShotDataset,
  defaultTrainConfig,
  type TrainConfigInput,
  assertRunId,
  fieldAsKey,
  formatPlan,
  planProblems,
  runSplits,
  RunDir,
  type RunSummary,
  resolveModelConfig,
} from '@rcn/core';
import type { EvalAfterTraining, TrainJobData } from './payload.js';

/** How a sweep's evaluation settings are named in messages: keys of its `eval` entry. */
const EVAL_FIELDS_IN_SWEEP = { way: 'eval.way', shot: 'eval.shot', query: 'eval.query', split: 'eval.split' };

type Scalar = string | number | boolean;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const evalSpecSchema = z
  .strictObject({
    split: z.string().default('test'),
    way: boundedIntSchema(EVAL_FIELDS.way.min, EVAL_FIELDS.way.max).optional(),
    shot: boundedIntSchema(EVAL_FIELDS.shot.min, EVAL_FIELDS.shot.max).optional(),
    query: intFieldSchema(EVAL_FIELDS.query),
    episodes: intFieldSchema(EVAL_FIELDS.episodes),
    seed: intFieldSchema(EVAL_FIELDS.seed),
    checkpoint: z.enum(['best', 'latest']).default('best'),
    /** Within-group episodes (Omniglot: all classes of an episode from one alphabet, as Lake's task). */
    withinGroup: z.boolean().optional(),
  })
  .prefault({});

export const sweepSpecSchema = z.strictObject({
  name: z.string().regex(NAME, "letters, digits, '.', '_' and '-' (max 64)").optional(),
  /** Training options every cell shares (the keys of `rcn train --config`). */
  base: z.record(z.string(), z.unknown()).default({}),
  /** Key (dotted for nested, e.g. `model.backbone`) -> the values it takes. */
  grid: z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()])).min(1)).default({}),
  /** Seeds: a list, or a count n for 0..n-1. */
  seeds: z.union([z.array(z.number().int().min(0)).min(1), z.number().int().min(1)]).default(1),
  /**
   * Test evaluation after training; way and shot default to the cell's. A list runs each in turn: the
   * first is the sweep table's, the others are kept in the cells' run folders (e.g. 5-shot beside 1-shot).
   */
  eval: z.union([evalSpecSchema, z.array(evalSpecSchema).min(1)]).prefault({}),
  /** Queue priority of the cells (1 highest). */
  priority: z.number().int().min(1).optional(),
});
export type SweepSpec = z.infer<typeof sweepSpecSchema>;

export interface SweepCell {
  /** Also the run id and the job id. */
  id: string;
  /** The grid values of this cell, in grid order. */
  setting: Record<string, Scalar>;
  seed: number;
  job: TrainJobData;
}

export interface SweepPlan {
  format: 'rcn-sweep';
  version: 1;
  name: string;
  keys: string[];
  spec: SweepSpec;
  cells: SweepCell[];
}

/** Reads and checks a sweep file (YAML or JSON); errors name the file and the field. */
export async function readSweepSpec(path: string): Promise<SweepSpec & { name: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  const r = sweepSpecSchema.safeParse(raw);
  if (!r.success) throw configErrorFrom(r.error, sweepSpecSchema, (f) => `${path}: '${f || '(root)'}'`);
  const name = r.data.name ?? basename(path, extname(path));
  if (!NAME.test(name)) throw new Error(`${path}: 'name': '${name}' is not a valid sweep name`);
  return { ...r.data, name };
}

function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) {
    const next = o[p];
    o[p] = next && typeof next === 'object' && !Array.isArray(next) ? { ...(next as object) } : {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts.at(-1)!] = value;
}

const token = (v: Scalar) => String(v).replace(/[^A-Za-z0-9.]+/g, '_');

/** Every combination of the grid's values, in grid order (the last key varies fastest). */
function product(grid: Record<string, Scalar[]>): Record<string, Scalar>[] {
  let out: Record<string, Scalar>[] = [{}];
  for (const [k, values] of Object.entries(grid))
    out = out.flatMap((partial) => values.map((v) => ({ ...partial, [k]: v })));
  return out;
}

/** The spec's evaluations as a list (the first is the table's). */
export function evalSpecs(spec: SweepSpec): z.infer<typeof evalSpecSchema>[] {
  return Array.isArray(spec.eval) ? spec.eval : [spec.eval];
}

/** The cells of a sweep: grid x seeds, each a validated training configuration and its evaluation. */
export function planSweep(
  spec: SweepSpec & { name: string },
  /** `backend`: the caller's environment layer (RCN_BACKEND), below the spec's own `backend`. */
  opts: { runsDir: string; dataDir?: string; backend?: string },
): SweepPlan {
  if ('seed' in spec.base || 'seed' in spec.grid)
    throw new Error(`sweep ${spec.name}: give seeds in 'seeds', not in 'base' or 'grid'`);
  const seeds = typeof spec.seeds === 'number' ? [...Array(spec.seeds).keys()] : spec.seeds;
  if (new Set(seeds).size !== seeds.length) throw new Error(`sweep ${spec.name}: 'seeds' has duplicates`);
  const cells: SweepCell[] = [];
  for (const setting of product(spec.grid)) {
    for (const seed of seeds) {
      const input = structuredClone(spec.base) as Record<string, unknown>;
      for (const [k, v] of Object.entries(setting)) setPath(input, k, v);
      input.seed = seed;
      if (opts.dataDir && input.dataDir === undefined) input.dataDir = opts.dataDir;
      if (opts.backend && input.backend === undefined) input.backend = opts.backend;
      const where = Object.entries(setting)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      let config;
      try {
        config = defaultTrainConfig(input as TrainConfigInput);
      } catch (e) {
        throw new Error(
          `sweep ${spec.name}, cell ${where || '(base)'} seed ${seed}: ${(e as Error).message}`,
        );
      }
      const id = [
        spec.name,
        ...Object.entries(setting).map(([k, v]) => `${token(k)}-${token(v)}`),
        `seed${seed}`,
      ]
        .join('_')
        .slice(0, 128);
      assertRunId(id);
      const [evaluate, ...also]: EvalAfterTraining[] = evalSpecs(spec).map((e) => ({
        dataset: config.dataset,
        split: e.split,
        way: e.way ?? config.way,
        shot: e.shot ?? config.shot,
        query: e.query,
        episodes: e.episodes,
        seed: e.seed,
        checkpoint: e.checkpoint,
        ...(e.withinGroup ? { withinGroup: true } : {}),
      }));
      cells.push({
        id,
        setting,
        seed,
        job: {
          kind: 'train',
          runsDir: opts.runsDir,
          runId: id,
          config,
          resume: false,
          evaluate,
          ...(also.length ? { evaluateAlso: also } : {}),
        },
      });
    }
  }
  if (new Set(cells.map((c) => c.id)).size !== cells.length)
    throw new Error(`sweep ${spec.name}: two cells get the same run id; make grid values distinct`);
  return { format: 'rcn-sweep', version: 1, name: spec.name, keys: Object.keys(spec.grid), spec, cells };
}

/**
 * Every cell's plan, checked before any cell runs or is enqueued: the splits each cell samples (training,
 * validation, its evaluations' test splits) against its episode shapes, and one episode's memory. Throws one
 * message listing each problem once with the cells it concerns (fields are the sweep file's keys, in
 * `base` or `grid`, and `eval.*`). Memory is bounded by each cell's backend (`auto`: this machine's memory;
 * the trainer checks again against the backend that loads).
 */
export async function checkSweepPlan(plan: SweepPlan): Promise<void> {
  const opened = new Map<string, Promise<FewShotDataset>>();
  const open = (dataset: string, split: string, dataDir: string | undefined, imageSize?: number) => {
    const key = [dataset, split, dataDir ?? '', imageSize ?? ''].join('\u0000');
    let ds = opened.get(key);
    if (!ds) opened.set(key, (ds = openDataset(dataset, split, { dataDir, imageSize })));
    return ds;
  };
  const byProblem = new Map<string, string[]>();
  for (const cell of plan.cells) {
    const c = cell.job.config;
    const train = await open(c.dataset, c.trainSplit, c.dataDir, c.model.imageSize);
    const imageSize = train.shape.height;
    const val = await open(c.dataset, c.valSplit, c.dataDir, imageSize);
    const evaluations = await Promise.all(
      [cell.job.evaluate, ...(cell.job.evaluateAlso ?? [])].flatMap((e) =>
        e
          ? [
              open(e.dataset, e.split, c.dataDir, imageSize).then((ds) => ({
                ...e,
                ds,
                fields: EVAL_FIELDS_IN_SWEEP,
              })),
            ]
          : [],
      ),
    );
    const problems = planProblems(
      runSplits(c, { train, val }, evaluations),
      resolveModelConfig({ ...c.model, imageSize }),
      c.backend,
    );
    for (const p of problems) {
      const text = formatPlan([p], fieldAsKey).split('\n')[1];
      byProblem.set(text, [...(byProblem.get(text) ?? []), cell.id]);
    }
  }
  if (!byProblem.size) return;
  const cells = (ids: string[]) =>
    ids.length === plan.cells.length
      ? 'every cell'
      : `${ids.length} cell${ids.length === 1 ? '' : 's'} (${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', ...' : ''})`;
  throw new Error(
    [
      `sweep ${plan.name}: the cells' episodes do not fit (checked before any cell runs; set these keys in the sweep's base or grid):`,
      ...[...byProblem].map(([text, ids]) => `${text} [${cells(ids)}]`),
    ].join('\n'),
  );
}

export const sweepsDir = (runsDir: string) => join(runsDir, 'sweeps');
export const sweepPath = (runsDir: string, name: string) => join(sweepsDir(runsDir), `${name}.json`);

/**
 * Writes the plan; a sweep of that name planned differently before is refused (its runs would mix two
 * plans), the same plan again is fine (it continues the sweep).
 */
export async function saveSweep(runsDir: string, plan: SweepPlan): Promise<void> {
  const path = sweepPath(runsDir, plan.name);
  if (existsSync(path)) {
    const old = await loadSweep(runsDir, plan.name);
    // Folders may be mounted elsewhere on another machine: the plan is the rest.
    const key = (p: SweepPlan) =>
      JSON.stringify(
        p.cells.map(({ job: { runsDir: _r, config, ...rest } }) => {
          const { dataDir: _d, ...cfg } = config;
          return { ...rest, cfg };
        }),
      );
    const same = key(old) === key(plan);
    if (!same)
      throw new Error(
        `${path}: a sweep named '${plan.name}' exists with a different plan; give the new one another name`,
      );
    return;
  }
  await mkdir(sweepsDir(runsDir), { recursive: true });
  await writeJsonAtomic(path, plan);
}

export async function loadSweep(runsDir: string, name: string): Promise<SweepPlan> {
  const path = sweepPath(runsDir, name);
  if (!existsSync(path)) throw new Error(`no sweep '${name}' in ${sweepsDir(runsDir)}`);
  const plan = JSON.parse(await readFile(path, 'utf8')) as SweepPlan;
  if (plan.format !== 'rcn-sweep') throw new Error(`${path}: not a sweep plan`);
  return plan;
}

export type CellState = 'pending' | 'running' | 'interrupted' | 'failed' | 'evaluating' | 'done';

export interface CellStatus {
  id: string;
  setting: Record<string, Scalar>;
  seed: number;
  state: CellState;
  /** Training episodes done and planned. */
  episode: number;
  episodes: number;
  /** Test accuracy and its CI over the evaluation's episodes, once evaluated. */
  accuracy: number | null;
  ci95: number | null;
  error: string | null;
}

/** Where the report of one of a cell's evaluations goes (default: the table's). */
export function cellReportPath(cell: SweepCell, evaluation = cell.job.evaluate!): string {
  const { checkpoint, ...settings } = evaluation;
  return new RunDir(join(cell.job.runsDir, cell.id)).evaluationPath({
    checkpoint,
    ...settings,
    bnInference: resolveModelConfig(cell.job.config.model).bnInference,
  });
}

/** Each cell's state, read from its run directory (`runsDir` overrides the plan's, for another mount). */
export async function sweepStatus(plan: SweepPlan, runsDir?: string): Promise<CellStatus[]> {
  return Promise.all(
    plan.cells.map(async (cell): Promise<CellStatus> => {
      const c = runsDir ? { ...cell, job: { ...cell.job, runsDir } } : cell;
      const base = {
        id: c.id,
        setting: c.setting,
        seed: c.seed,
        episodes: c.job.config.episodes,
        accuracy: null,
        ci95: null,
        error: null,
      };
      const report = cellReportPath(c);
      const allReports = [report, ...(c.job.evaluateAlso ?? []).map((e) => cellReportPath(c, e))];
      const dir = join(c.job.runsDir, c.id);
      let s: RunSummary | null = null;
      try {
        const run = new RunDir(dir);
        s = run.exists ? await run.status() : null;
      } catch {
        s = null; // a status file being replaced: read it as unknown this time
      }
      if (allReports.every((p) => existsSync(p))) {
        const r = JSON.parse(await readFile(report, 'utf8')) as { accuracy: number; ci95: number };
        return {
          ...base,
          state: 'done',
          episode: s?.episode ?? c.job.config.episodes,
          accuracy: r.accuracy,
          ci95: r.ci95,
        };
      }
      if (!s) return { ...base, state: 'pending', episode: 0 };
      const state: CellState =
        s.status === 'finished' ? 'evaluating' : s.status === 'cancelled' ? 'interrupted' : s.status;
      return { ...base, state, episode: s.episode, error: s.error ?? null };
    }),
  );
}

export interface SweepRow {
  setting: Record<string, Scalar>;
  /** Seeds evaluated / planned. */
  done: number;
  planned: number;
  /** Mean test accuracy over the evaluated seeds. */
  mean: number | null;
  /** 95% CI half-width across seeds (t with n-1 df); null below two seeds. */
  ci95: number | null;
  std: number | null;
  /** Per seed, in seed order (null: not evaluated yet). */
  accuracies: { seed: number; accuracy: number | null }[];
}

/** The paper table: one row per setting, in grid order. */
export function sweepTable(plan: SweepPlan, status: CellStatus[]): SweepRow[] {
  const rows = new Map<string, SweepRow>();
  for (const c of status) {
    const key = JSON.stringify(c.setting);
    const row =
      rows.get(key) ??
      rows
        .set(key, {
          setting: c.setting,
          done: 0,
          planned: 0,
          mean: null,
          ci95: null,
          std: null,
          accuracies: [],
        })
        .get(key)!;
    row.planned++;
    row.accuracies.push({ seed: c.seed, accuracy: c.accuracy });
  }
  for (const row of rows.values()) {
    const values = row.accuracies.flatMap((a) => (a.accuracy === null ? [] : [a.accuracy]));
    row.done = values.length;
    if (!values.length) continue;
    const m = meanCi95(values);
    row.mean = m.mean;
    row.ci95 = m.n >= 2 ? m.ci95 : null;
    row.std = m.n >= 2 ? m.std : null;
  }
  return [...rows.values()];
}

const pct = (v: number | null) => (v === null ? '-' : (100 * v).toFixed(2));

/** The table across seeds as a file format: Markdown (as the README quotes it) or CSV. */
export function sweepReport(plan: SweepPlan, rows: SweepRow[], format: 'markdown' | 'csv'): string {
  return format === 'csv' ? sweepCsv(plan, rows) : sweepMarkdown(plan, rows);
}

export function sweepMarkdown(plan: SweepPlan, rows: SweepRow[]): string {
  const e = plan.cells[0]?.job.evaluate;
  const head = [...plan.keys, 'seeds', 'accuracy (%)', '95% CI (±)'];
  const lines = [
    `Sweep \`${plan.name}\`: test accuracy${e ? ` on ${e.dataset}/${e.split}, ${e.episodes} episodes of ${e.query} queries per class` : ''}; mean over seeds, 95% CI across seeds (t-distribution).`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map(
      (r) =>
        `| ${[...plan.keys.map((k) => String(r.setting[k])), `${r.done}/${r.planned}`, pct(r.mean), pct(r.ci95)].join(' | ')} |`,
    ),
  ];
  return lines.join('\n') + '\n';
}

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function sweepCsv(plan: SweepPlan, rows: SweepRow[]): string {
  const head = [...plan.keys, 'seeds_done', 'seeds_planned', 'mean_accuracy', 'ci95', 'std', 'per_seed'];
  // Six decimals: a mean like 0.9179999999999999 is float noise, not precision (600 episodes give ~4 digits).
  const num = (v: number | null) => (v === null ? '' : String(Number(v.toFixed(6))));
  const lines = rows.map((r) =>
    [
      ...plan.keys.map((k) => String(r.setting[k])),
      String(r.done),
      String(r.planned),
      num(r.mean),
      num(r.ci95),
      num(r.std),
      r.accuracies.map((a) => `${a.seed}:${num(a.accuracy)}`).join(' '),
    ]
      .map(csvCell)
      .join(','),
  );
  return [head.join(','), ...lines].join('\n') + '\n';
}
