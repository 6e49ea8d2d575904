/**
 * Fixed episodes ("tasks") from a JSON file: per episode the support images with labels and the query
 * images with labels, paths relative to the file. Evaluated with the checkpoint's input treatment
 * (the same path as `predict`), reported as accuracy with a t-based 95% CI and per-episode results.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { DataError, type InputSpec } from '../data/index.js';
import type { FewShotModel } from '../model/index.js';
import { predictFiles, type LabelledFile, type SupportSet } from '../predict/index.js';
import { meanCi95 } from './stats.js';

const imageSchema = z.object({ path: z.string().min(1), label: z.string().min(1) }).strict();
const taskSchema = z
  .object({
    id: z.string().min(1).optional(),
    support: z.array(imageSchema).min(2),
    query: z.array(imageSchema).min(1),
  })
  .strict();
export const taskFileSchema = z
  .object({
    format: z.literal('rcn-tasks').optional(),
    version: z.literal(1).optional(),
    /** Where the tasks come from (e.g. "Lake one-shot runs"). */
    name: z.string().optional(),
    /** Error rate is what that protocol reports (Lake's one-shot runs). */
    metric: z.enum(['accuracy', 'error']).optional(),
    episodes: z.array(taskSchema).min(1),
  })
  .strict();

export type TaskFile = z.infer<typeof taskFileSchema>;
export type TaskEpisode = z.infer<typeof taskSchema>;

/** One task as model inputs: classes in order of first appearance among the supports. */
export interface ResolvedTask {
  id: string;
  support: SupportSet;
  query: LabelledFile[];
}

/** Checks a parsed task file; errors name the file and the field (`episodes[3].query[0].label`). */
export function parseTaskFile(value: unknown, source: string): TaskFile {
  const r = taskFileSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    const at = i.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
      .join('')
      .replace(/^\./, '');
    throw new DataError(source, `${at || 'file'}: ${i.message}`);
  }
  return r.data;
}

/** Reads a tasks JSON file. */
export async function readTaskFile(path: string): Promise<TaskFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new DataError(
      path,
      `cannot read tasks file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DataError(path, `invalid JSON (${(e as Error).message})`);
  }
  return parseTaskFile(json, path);
}

/** Task `index` of a file as labelled support and query files, paths resolved against `baseDir`. */
export function resolveTask(file: TaskFile, index: number, baseDir: string, source: string): ResolvedTask {
  const t = file.episodes[index];
  if (!t) throw new DataError(source, `no episode ${index} (the file has ${file.episodes.length})`);
  const at = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const classes: string[] = [];
  const byClass = new Map<string, string[]>();
  for (const s of t.support) {
    if (!byClass.has(s.label)) {
      classes.push(s.label);
      byClass.set(s.label, []);
    }
    byClass.get(s.label)!.push(at(s.path));
  }
  const where = `episodes[${index}]`;
  if (classes.length < 2) throw new DataError(source, `${where}.support: needs at least 2 labels`);
  const shot = byClass.get(classes[0])!.length;
  const uneven = classes.find((c) => byClass.get(c)!.length !== shot);
  if (uneven)
    throw new DataError(
      source,
      `${where}.support: every label needs the same number of images (the shot): '${classes[0]}' has ${shot}, '${uneven}' has ${byClass.get(uneven)!.length}`,
    );
  t.query.forEach((q, i) => {
    if (!byClass.has(q.label))
      throw new DataError(source, `${where}.query[${i}].label: '${q.label}' is not a support label`);
  });
  return {
    id: t.id ?? `episode ${index}`,
    support: {
      classes,
      shot,
      files: classes.flatMap((c) => byClass.get(c)!.map((path) => ({ path, label: c }))),
      skipped: {},
    },
    query: t.query.map((q) => ({ path: at(q.path), label: q.label })),
  };
}

export interface TaskEpisodeResult {
  index: number;
  id: string;
  way: number;
  shot: number;
  queries: number;
  correct: number;
  accuracy: number;
  errorRate: number;
  /** Queries whose images look unlike the checkpoint's training data. */
  outOfDomain: number;
}

export interface TaskEvalReport {
  tasks: string;
  name?: string;
  metric: 'accuracy' | 'error';
  episodes: number;
  /** Mean per-episode accuracy and its 95% CI half-width (t-distribution). */
  accuracy: number;
  ci95: number;
  /** 1 - accuracy: Lake's protocol reports the mean error rate over its runs. */
  errorRate: number;
  perEpisode: TaskEpisodeResult[];
}

/** Evaluates every task of a file with the checkpoint's input treatment. */
export async function evaluateTasks(
  model: FewShotModel,
  spec: InputSpec,
  file: TaskFile,
  source: string,
  opts: {
    /** Folder the task paths are relative to (default: the file's folder). */
    baseDir?: string;
    onProgress?: (done: number, total: number, accuracy: number) => void;
    /** Stops between episodes. */
    signal?: AbortSignal;
  } = {},
): Promise<TaskEvalReport> {
  const base = opts.baseDir ?? dirname(resolve(source));
  const per: TaskEpisodeResult[] = [];
  for (let i = 0; i < file.episodes.length; i++) {
    if (opts.signal?.aborted) throw new Error('evaluation cancelled');
    const t = resolveTask(file, i, base, source);
    const r = await predictFiles(model, spec, t.support, t.query);
    const correct = r.queries.filter((q) => q.correct).length;
    const accuracy = correct / r.queries.length;
    per.push({
      index: i,
      id: t.id,
      way: t.support.classes.length,
      shot: t.support.shot,
      queries: r.queries.length,
      correct,
      accuracy,
      errorRate: 1 - accuracy,
      outOfDomain: r.queries.filter((q) => q.warning).length,
    });
    opts.onProgress?.(i + 1, file.episodes.length, per.reduce((a, p) => a + p.accuracy, 0) / per.length);
  }
  const m = meanCi95(per.map((p) => p.accuracy));
  return {
    tasks: resolve(source),
    ...(file.name && { name: file.name }),
    metric: file.metric ?? 'accuracy',
    episodes: per.length,
    accuracy: m.mean,
    ci95: m.ci95,
    errorRate: 1 - m.mean,
    perEpisode: per,
  };
}

/** One line per episode and the total, as the file's protocol reports (error rate or accuracy). */
export function formatTaskReport(r: TaskEvalReport): string {
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  const lines = r.perEpisode.map(
    (p) =>
      `${p.id}: ${r.metric === 'error' ? `error ${pct(p.errorRate)}` : `accuracy ${pct(p.accuracy)}`} (${p.correct}/${p.queries} right, ${p.way}-way ${p.shot}-shot)` +
      (p.outOfDomain ? `, ${p.outOfDomain} queries unlike the training data` : ''),
  );
  lines.push(
    `${r.name ?? r.tasks}: ${r.metric === 'error' ? `error rate ${pct(r.errorRate)}, ` : ''}accuracy ${(100 * r.accuracy).toFixed(2)} ± ${(100 * r.ci95).toFixed(2)} % (${r.episodes} episodes, 95% CI)`,
  );
  return lines.join('\n');
}
