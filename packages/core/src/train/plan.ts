/**
 * A run's plan, checked before its first episode: every split it will sample (training; validation, which
 * every run does at least once, at its end; the test split where an evaluation follows) against way, shot
 * and that split's queries, and one episode's memory against what the backend can hold. Without this a
 * validation split too small for `way` is found only at the first validation, after every training episode,
 * and the run fails with nothing saved.
 *
 * Problems name the settings to change by their configuration field; each caller says how a field is
 * written where it came from (`--val-query 5` for the CLI, `valQuery: 5` for the API, a sweep's key).
 */
import { totalmem } from 'node:os';
import type { FewShotDataset } from '../data/index.js';
import { episodeMemoryBytes, type ModelConfig } from '../model/index.js';
import type { TrainConfig } from './types.js';

/** One split the run samples, with the episode shape it samples and the fields that set that shape. */
export interface SampledSplit {
  /** What samples it, for messages: `training`, `validation`, `evaluation`. */
  role: string;
  ds: FewShotDataset;
  way: number;
  shot: number;
  query: number;
  /** Forward and backward (training episodes) or forward only. */
  training: boolean;
  /** The configuration fields that set this split's way, shot, queries and split name. */
  fields: { way: string; shot: string; query: string; split: string };
}

/** How a field (with a suggested value, or none) is written for the person who set it. */
export type FieldName = (field: string, value?: number | string) => string;

/** The configuration file's and the API's spelling: `valQuery: 5`. */
export const fieldAsKey: FieldName = (field, value) => (value === undefined ? field : `${field}: ${value}`);

/** A piece of a fix: text, or a field (with a value to set it to). */
type Part = string | { field: string; value?: number | string };

export interface PlanProblem {
  /** What does not fit. */
  problem: string;
  /** The settings to change, in words around field references. */
  fix: Part[];
}

/** The wasm backend's heap: 4 GiB per instance (one per worker). */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

/** What one backend instance can hold: the wasm heap, else the machine's memory. */
export function memoryLimit(backend: string): { bytes: number; what: string } {
  return backend === 'wasm'
    ? { bytes: WASM_HEAP_BYTES, what: "the wasm backend's 4 GiB heap" }
    : { bytes: totalmem(), what: `this machine's ${gib(totalmem())} of memory` };
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

function renderFix(fix: Part[], name: FieldName): string {
  return fix.map((p) => (typeof p === 'string' ? p : `\`${name(p.field, p.value)}\``)).join('');
}

/** The problems as one message: what does not fit, and for each the settings to change. */
export function formatPlan(problems: readonly PlanProblem[], name: FieldName = fieldAsKey): string {
  return [
    `the run's episodes do not fit (checked before the first episode; nothing was trained):`,
    ...problems.map((p) => `  - ${p.problem}; change: ${renderFix(p.fix, name)}`),
  ].join('\n');
}

/** The plan does not fit; `format` words the fixes for the caller's inputs (flags, fields, keys). */
export class PlanError extends Error {
  constructor(readonly problems: readonly PlanProblem[]) {
    super(formatPlan(problems));
    this.name = 'PlanError';
  }

  format(name: FieldName): string {
    return formatPlan(this.problems, name);
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 'es'}`;

/** Class counts and class sizes of each sampled split against its episode shape. */
function dataProblems(splits: readonly SampledSplit[]): PlanProblem[] {
  const out: PlanProblem[] = [];
  for (const s of splits) {
    const where = `${s.role} split '${s.ds.split}' of ${s.ds.name}`;
    const classes = s.ds.classes.length;
    if (classes < s.way) {
      // The way every split this field sets could take (2 is the least an episode can have).
      const fits = Math.min(
        ...splits.filter((o) => o.fields.way === s.fields.way).map((o) => o.ds.classes.length),
      );
      out.push({
        problem: `${where} has ${plural(classes, 'class')}, fewer than way = ${s.way}`,
        fix: [
          ...(fits >= 2 ? [{ field: s.fields.way, value: fits }, ' or fewer, or '] : []),
          `give split '${s.ds.split}' at least ${s.way} classes (for an image folder: a splits.json naming each split's class folders), or another `,
          { field: s.fields.split },
        ],
      });
    }
    const need = s.shot + s.query;
    const small = s.ds.classes.filter((c) => c.imageIds.length < need);
    if (!small.length) continue;
    const fewest = small.reduce((a, c) => (c.imageIds.length < a.imageIds.length ? c : a));
    const m = fewest.imageIds.length;
    const which =
      small.length === 1
        ? `class '${fewest.id}' has ${m} images`
        : `${small.length} classes have fewer images (fewest: '${fewest.id}', ${m})`;
    out.push({
      problem: `${where}: ${which}, fewer than shot + queries = ${s.shot} + ${s.query} = ${need}`,
      fix:
        m - s.shot >= 1
          ? [{ field: s.fields.query, value: m - s.shot }, ' or fewer, or more images in those classes']
          : m >= 2
            ? [{ field: s.fields.shot, value: m - 1 }, ' with ', { field: s.fields.query, value: 1 }]
            : [`more images in class '${fewest.id}' (${m}), or leave it out of the split`],
    });
  }
  return out;
}

/** One episode of each sampled shape against what the backend holds. */
function memoryProblems(
  splits: readonly SampledSplit[],
  model: Pick<ModelConfig, 'backbone' | 'imageSize' | 'widths'>,
  backend: string,
): PlanProblem[] {
  const limit = memoryLimit(backend);
  const out: PlanProblem[] = [];
  const seen = new Set<string>();
  for (const s of splits) {
    const images = s.way * (s.shot + s.query);
    const bytes = episodeMemoryBytes(model, images, s.training ? 'train' : 'infer');
    const key = `${s.training}:${images}`;
    if (bytes <= limit.bytes || seen.has(key)) continue;
    seen.add(key);
    out.push({
      problem:
        `one ${s.role} episode, way ${s.way} x (shot ${s.shot} + queries ${s.query}) = ${images} images of ` +
        `${model.imageSize} px through ${model.backbone}, needs at least ${gib(bytes)} (estimated from the ` +
        `layer shapes), over ${limit.what}`,
      fix: [
        'fewer images per episode (',
        { field: s.fields.way },
        ', ',
        { field: s.fields.shot },
        ', ',
        { field: s.fields.query },
        ') or smaller images (',
        { field: 'model.imageSize' },
        ')',
      ],
    });
  }
  return out;
}

/**
 * Everything that does not fit, or nothing: data first, then memory (estimated for `backend`, the one that
 * runs: `wasm` has a 4 GiB heap per instance).
 */
export function planProblems(
  splits: readonly SampledSplit[],
  model: Pick<ModelConfig, 'backbone' | 'imageSize' | 'widths'>,
  backend: string,
): PlanProblem[] {
  return [...dataProblems(splits), ...memoryProblems(splits, model, backend)];
}

/** Throws a PlanError listing every problem of the plan. */
export function assertPlan(
  splits: readonly SampledSplit[],
  model: Pick<ModelConfig, 'backbone' | 'imageSize' | 'widths'>,
  backend: string,
): void {
  const problems = planProblems(splits, model, backend);
  if (problems.length) throw new PlanError(problems);
}

/** The fields of a training configuration that set its training and validation episodes. */
export const TRAINING_FIELDS = { way: 'way', shot: 'shot', query: 'query', split: 'trainSplit' } as const;
export const VALIDATION_FIELDS = { way: 'way', shot: 'shot', query: 'valQuery', split: 'valSplit' } as const;

/** An evaluation of the run's dataset that follows its training (a sweep cell's test evaluation). */
export interface PlannedEvaluation {
  split: string;
  way: number;
  shot: number;
  query: number;
  /** The settings that set it, for messages (default: way, shot, query, split). */
  fields?: SampledSplit['fields'];
}

/** The splits a run samples: training, validation, then the evaluations that follow it. */
export function runSplits(
  cfg: Pick<TrainConfig, 'way' | 'shot' | 'query' | 'valQuery'>,
  ds: { train: FewShotDataset; val: FewShotDataset },
  evaluations: readonly (PlannedEvaluation & { ds: FewShotDataset })[] = [],
): SampledSplit[] {
  const { way, shot } = cfg;
  return [
    { role: 'training', ds: ds.train, way, shot, query: cfg.query, training: true, fields: TRAINING_FIELDS },
    {
      role: 'validation',
      ds: ds.val,
      way,
      shot,
      query: cfg.valQuery,
      training: false,
      fields: VALIDATION_FIELDS,
    },
    ...evaluations.map((e) => ({
      role: 'evaluation',
      ds: e.ds,
      way: e.way,
      shot: e.shot,
      query: e.query,
      training: false,
      fields: e.fields ?? { way: 'way', shot: 'shot', query: 'query', split: 'split' },
    })),
  ];
}
