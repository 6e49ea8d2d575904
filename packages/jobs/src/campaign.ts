/**
 * The reproduction campaign: sweeps run one after another in a stated order (the most valuable results
 * first), each cell trained until validation stops improving, tested once, then published into the model
 * zoo. Everything it needs to continue lives in its runs folder inside the repository (`campaign/runs/`,
 * small for Conv4: a run's `latest` checkpoint with optimiser state is ~1.5 MB), so a working period can end
 * at any moment: `runCampaign` stops at its deadline with every running cell saved, and the next call, on
 * any machine with a clone, continues from whatever state it finds.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { publishZooModel, RunDir, ZOO_CARD_FILE, ZOO_NAME } from '@rcn/core';
import { EmbeddedEngine } from './embedded.js';
import type { JobProgress } from './payload.js';
import {
  planSweep,
  readSweepSpec,
  saveSweep,
  sweepStatus,
  type CellStatus,
  type SweepCell,
  type SweepPlan,
} from './sweep.js';

const campaignSchema = z.strictObject({
  /** Runs folder of every stage, relative to the campaign file. */
  runsDir: z.string().min(1),
  /** Where finished models are published, relative to the campaign file. */
  zooDir: z.string().min(1),
  stages: z
    .array(
      z.strictObject({
        /** A sweep file, relative to the campaign file. */
        sweep: z.string().min(1),
        /**
         * The zoo name of each cell: `{seed}`, `{way}`, `{shot}` and any grid key (`{method}`) are replaced by
         * the cell's values.
         */
        zoo: z.string().min(1),
      }),
    )
    .min(1),
});

export interface CampaignStage {
  sweepFile: string;
  zooTemplate: string;
}

export interface Campaign {
  file: string;
  /** The repository root the commands on cards are relative to (the campaign file's parent's parent). */
  root: string;
  runsDir: string;
  zooDir: string;
  stages: CampaignStage[];
}

/** Reads a campaign file; errors name the file and the field. */
export async function readCampaign(file: string): Promise<Campaign> {
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const r = campaignSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`${file}: '${issue.path.join('.') || '(root)'}': ${issue.message}`);
  }
  const base = dirname(resolve(file));
  return {
    file: resolve(file),
    root: dirname(base),
    runsDir: resolve(base, r.data.runsDir),
    zooDir: resolve(base, r.data.zooDir),
    stages: r.data.stages.map((s) => ({ sweepFile: resolve(base, s.sweep), zooTemplate: s.zoo })),
  };
}

/** A cell's zoo name from its stage's template. */
export function zooNameOf(template: string, cell: SweepCell): string {
  const values: Record<string, string> = {
    seed: String(cell.seed),
    way: String(cell.job.config.way),
    shot: String(cell.job.config.shot),
    method: cell.job.config.method,
    ...Object.fromEntries(Object.entries(cell.setting).map(([k, v]) => [k, String(v)])),
  };
  const name = template.replace(/\{([A-Za-z0-9_.]+)\}/g, (m, k: string) => {
    if (!(k in values)) throw new Error(`zoo name '${template}': no value for {${k}} in cell ${cell.id}`);
    return values[k];
  });
  if (!ZOO_NAME.test(name))
    throw new Error(`zoo name '${name}' (from '${template}'): lower-case letters, digits, '.', '_' and '-'`);
  return name;
}

export interface StagePlan {
  stage: CampaignStage;
  plan: SweepPlan;
}

/** Every stage's sweep plan, saved into the runs folder (a changed plan is refused, as `sweep` does). */
export async function planCampaign(
  c: Campaign,
  /** `save: false` reads without writing (a changed plan is then not noticed here). */
  opts: { dataDir: string; save?: boolean },
): Promise<StagePlan[]> {
  const out: StagePlan[] = [];
  for (const stage of c.stages) {
    const plan = planSweep(await readSweepSpec(stage.sweepFile), {
      runsDir: c.runsDir,
      dataDir: opts.dataDir,
    });
    if (opts.save !== false) await saveSweep(c.runsDir, plan);
    out.push({ stage, plan });
  }
  return out;
}

export interface CampaignCellStatus extends CellStatus {
  stage: string;
  zooName: string;
  published: boolean;
  bestValAccuracy: number | null;
  bestEpisode: number | null;
  elapsedSeconds: number | null;
}

export async function campaignStatus(c: Campaign, plans: StagePlan[]): Promise<CampaignCellStatus[]> {
  const out: CampaignCellStatus[] = [];
  for (const { stage, plan } of plans) {
    const status = await sweepStatus(plan);
    for (const cell of plan.cells) {
      const s = status.find((x) => x.id === cell.id)!;
      const zooName = zooNameOf(stage.zooTemplate, cell);
      const run = await new RunDir(join(c.runsDir, cell.id)).status().catch(() => null);
      out.push({
        ...s,
        stage: plan.name,
        zooName,
        published: existsSync(join(c.zooDir, zooName, ZOO_CARD_FILE)),
        bestValAccuracy: run?.bestValAccuracy ?? null,
        bestEpisode: run?.bestEpisode ?? null,
        elapsedSeconds: run?.elapsedSeconds ?? null,
      });
    }
  }
  return out;
}

export type CampaignEvent =
  | { type: 'cell-start'; stage: string; cell: string; fromEpisode: number; episodes: number }
  | { type: 'progress'; cell: string; progress: JobProgress }
  | { type: 'cell-end'; cell: string; status: 'finished' | 'cancelled' | 'failed'; error: string | null }
  | { type: 'published'; cell: string; name: string; accuracy: number }
  | { type: 'deadline' };

export interface RunCampaignOptions {
  dataDir: string;
  /** Stop (every running cell saved) at this time (ms since the epoch). */
  deadline?: number;
  signal?: AbortSignal;
  onEvent?: (e: CampaignEvent) => void;
  /** How cards name the backend the checks ran on. */
  backend: string;
  /** The command cards give for a stage's cells (default: the `pnpm cli sweep` line that trains them). */
  commandOf?: (stage: StagePlan) => string;
}

export interface CampaignOutcome {
  /** True when every cell of every stage is done and published. */
  complete: boolean;
  /** Why it stopped before: the deadline, a signal, or a failed cell (named). */
  stoppedBy: 'deadline' | 'signal' | 'failure' | null;
  published: string[];
}

/** Publishes every done cell that has no zoo model yet; returns the names published. */
async function publishDone(
  c: Campaign,
  sp: StagePlan,
  opts: RunCampaignOptions,
  only?: string,
): Promise<string[]> {
  const published: string[] = [];
  const status = await sweepStatus(sp.plan);
  for (const cell of sp.plan.cells) {
    if (only && cell.id !== only) continue;
    if (status.find((s) => s.id === cell.id)?.state !== 'done') continue;
    const name = zooNameOf(sp.stage.zooTemplate, cell);
    if (existsSync(join(c.zooDir, name, ZOO_CARD_FILE))) continue;
    const card = await publishZooModel({
      runDir: join(c.runsDir, cell.id),
      name,
      zooDir: c.zooDir,
      command: (opts.commandOf ?? defaultCommand(c))(sp),
      dataDir: opts.dataDir,
      backend: opts.backend,
    });
    published.push(name);
    opts.onEvent?.({ type: 'published', cell: cell.id, name, accuracy: card.test[0]?.accuracy ?? NaN });
  }
  return published;
}

const defaultCommand = (c: Campaign) => (sp: StagePlan) => {
  const rel = (p: string) => p.slice(c.root.length + 1);
  return `pnpm cli sweep ${rel(sp.stage.sweepFile)} --runs-dir ${rel(c.runsDir)} (run by \`pnpm campaign\`)`;
};

/**
 * Runs or resumes the campaign: stage by stage, cell by cell (one at a time: the machine's cores go to one
 * training), publishing each cell that is done. Returns at the deadline, on the signal, after a failed cell,
 * or when everything is done.
 */
export async function runCampaign(c: Campaign, opts: RunCampaignOptions): Promise<CampaignOutcome> {
  const plans = await planCampaign(c, opts);
  const published: string[] = [];
  const engine = new EmbeddedEngine(1);
  let stoppedBy: CampaignOutcome['stoppedBy'] = null;
  const stop = (why: 'deadline' | 'signal') => {
    if (stoppedBy) return;
    stoppedBy = why;
    if (why === 'deadline') opts.onEvent?.({ type: 'deadline' });
    void engine.close();
  };
  const timer =
    opts.deadline !== undefined
      ? setTimeout(() => stop('deadline'), Math.max(0, opts.deadline - Date.now()))
      : null;
  const onAbort = () => stop('signal');
  opts.signal?.addEventListener('abort', onAbort);
  try {
    for (const sp of plans) {
      published.push(...(await publishDone(c, sp, opts)));
      const status = await sweepStatus(sp.plan);
      for (const cell of sp.plan.cells) {
        if (stoppedBy) break;
        const s = status.find((x) => x.id === cell.id)!;
        if (s.state === 'done') continue;
        opts.onEvent?.({
          type: 'cell-start',
          stage: sp.plan.name,
          cell: cell.id,
          fromEpisode: s.episode,
          episodes: cell.job.config.episodes,
        });
        const ended = await new Promise<{
          status: 'finished' | 'cancelled' | 'failed';
          error: string | null;
        }>((resolveEnd) => {
          const off = engine.subscribe((e) => {
            if (e.id !== cell.id) return;
            if (e.type === 'progress')
              opts.onEvent?.({ type: 'progress', cell: cell.id, progress: e.progress });
            if (e.type === 'ended') {
              off();
              resolveEnd({ status: e.status, error: e.error });
            }
          });
          engine.submit(cell.id, cell.job).catch((err: unknown) => {
            off();
            resolveEnd({ status: 'cancelled', error: err instanceof Error ? err.message : String(err) });
          });
        });
        opts.onEvent?.({ type: 'cell-end', cell: cell.id, ...ended });
        if (ended.status === 'failed') {
          stoppedBy = 'failure';
          break;
        }
        if (ended.status === 'finished') published.push(...(await publishDone(c, sp, opts, cell.id)));
      }
      if (stoppedBy) break;
    }
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    await engine.close();
  }
  const all = await campaignStatus(c, plans);
  return { complete: all.every((s) => s.state === 'done' && s.published), stoppedBy, published };
}
