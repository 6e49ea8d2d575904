/** Sweeps: read from the runs folder (plans in `sweeps/`, cells as run directories), whoever ran them. */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import {
  loadSweep,
  sweepCsv,
  sweepMarkdown,
  sweepStatus,
  sweepTable,
  sweepsDir,
  type CellStatus,
  type SweepPlan,
  type SweepRow,
} from '@rcn/jobs';
import { badInput, boundedInt } from '../errors.js';
import { publicDataset } from '../../services/paths.js';
import type { QueryResolvers, Resolvers } from '../generated.js';
import type { SweepModel } from '../models.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

async function model(runsDir: string, name: string): Promise<SweepModel | null> {
  let plan: SweepPlan;
  try {
    plan = await loadSweep(runsDir, name);
  } catch {
    return null;
  }
  // Cells are read where this server mounts the runs folder, whatever path the planner saw.
  const status = await sweepStatus(plan, runsDir);
  return { plan, status, rows: sweepTable(plan, status) };
}

const count = (cells: CellStatus[], ...states: string[]) =>
  cells.filter((c) => states.includes(c.state)).length;

export const sweepQueries: Pick<QueryResolvers, 'sweeps' | 'sweep'> = {
  sweeps: async (_p, { limit }, { services }) => {
    boundedInt(limit, 'limit', 0, 200);
    const dir = sweepsDir(services.config.runsDir);
    if (!existsSync(dir)) return [];
    const names = (await readdir(dir))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .filter((n) => NAME.test(n))
      .sort()
      .slice(0, limit);
    const out = await Promise.all(names.map((n) => model(services.config.runsDir, n)));
    return out.filter((m): m is SweepModel => m !== null);
  },
  sweep: (_p, { name }, { services }) => {
    if (!NAME.test(name)) throw badInput(`invalid sweep name '${name}'`, 'name');
    return model(services.config.runsDir, name);
  },
};

export const sweepTypes: Pick<Resolvers, 'Sweep' | 'SweepCell'> = {
  SweepCell: {
    // A grid may vary the dataset, given by folder paths: shown by name, as runs show them.
    setting: (c, _a, { services }) =>
      Object.fromEntries(
        Object.entries((c.setting ?? {}) as Record<string, unknown>).map(([k, v]) => [
          k,
          typeof v === 'string' ? publicDataset(v, services.publicText) : v,
        ]),
      ),
    error: (c, _a, { services }) => (c.error ? services.publicText(c.error) : null),
  },
  Sweep: {
    name: (s) => s.plan.name,
    keys: (s) => s.plan.keys,
    progress: (s) => ({
      cells: s.status.length,
      done: count(s.status, 'done'),
      running: count(s.status, 'running', 'evaluating'),
      pending: count(s.status, 'pending', 'interrupted'),
      failed: count(s.status, 'failed'),
    }),
    cells: (s) => s.status,
    table: (s): SweepRow[] => s.rows,
    markdown: (s) => sweepMarkdown(s.plan, s.rows),
    csv: (s) => sweepCsv(s.plan, s.rows),
  },
};
