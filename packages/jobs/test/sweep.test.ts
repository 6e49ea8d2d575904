/**
 * Sweep planning and the paper table, on files the test writes: grid x seeds expansion, validation errors
 * that name the file and field, plan persistence, and per-setting mean with a 95% CI across seeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { meanCi95, tQuantile } from '@rcn/core';
import {
  cellReportPath,
  parseJobData,
  planSweep,
  readSweepSpec,
  saveSweep,
  sweepCsv,
  sweepMarkdown,
  sweepStatus,
  sweepTable,
} from '../src/index.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rcn-sweep-unit-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function spec(name: string, yaml: string) {
  const path = join(tmp, `${name}.yaml`);
  await writeFile(path, yaml);
  return readSweepSpec(path);
}

const SPEC = `
base: { dataset: tiny-imagenet-32, episodes: 100, backend: wasm, model: { backbone: conv4 } }
grid:
  method: [rcn, protonet]
  shot: [1, 5]
  model.backbone: [conv4]
seeds: [3, 7]
eval: { episodes: 50 }
`;

describe('sweeps', () => {
  it('expands grid x seeds into validated training + evaluation jobs', async () => {
    const s = await spec('paper', SPEC);
    expect(s.name).toBe('paper');
    const runsDir = join(tmp, 'runs');
    const plan = planSweep(s, { runsDir, dataDir: '/data' });
    expect(plan.keys).toEqual(['method', 'shot', 'model.backbone']);
    expect(plan.cells).toHaveLength(2 * 2 * 2);
    expect(plan.cells.map((c) => c.id)).toContain('paper_method-protonet_shot-5_model.backbone-conv4_seed7');
    for (const c of plan.cells) {
      const { job } = c;
      expect(job.config.method).toBe(c.setting.method);
      expect(job.config.shot).toBe(c.setting.shot);
      expect(job.config.seed).toBe(c.seed);
      expect(job.config.dataDir).toBe('/data');
      expect(job.runId).toBe(c.id);
      // The evaluation follows the cell's way and shot, on the test split, from the best checkpoint.
      expect(job.evaluate).toMatchObject({
        split: 'test',
        shot: c.setting.shot,
        way: 5,
        episodes: 50,
        checkpoint: 'best',
      });
      expect(parseJobData(JSON.parse(JSON.stringify(job)), c.id)).toEqual(job);
    }
  });

  it('names the file and the field of a bad sweep', async () => {
    await expect(spec('bad1', 'grid: { method: rcn }')).rejects.toThrow(/bad1\.yaml: 'grid\.method'/);
    await expect(spec('bad2', 'seeds: 2\nepisodes: 5')).rejects.toThrow(
      /bad2\.yaml: 'episodes': unknown key 'episodes'; known keys: name, base, grid, seeds, eval, priority/,
    );
    await expect(spec('bad5', 'eval: { episdoes: 600 }')).rejects.toThrow(
      "bad5.yaml: 'eval.episdoes': unknown key 'episdoes'; did you mean 'episodes'?",
    );
    await expect(spec('bad6', 'eval: [{ episodes: 600 }, { episdoes: 600 }]')).rejects.toThrow(
      "bad6.yaml: 'eval.1.episdoes': unknown key 'episdoes'; did you mean 'episodes'?",
    );
    const typo = await spec('bad6', 'base: { episodez: 100 }');
    expect(() => planSweep(typo, { runsDir: tmp })).toThrow(
      "cell (base) seed 0: episodez: unknown key 'episodez'; did you mean 'episodes'?",
    );
    const s = await spec('bad3', 'grid: { method: [rcn, svm] }');
    expect(() => planSweep(s, { runsDir: tmp })).toThrow(/cell method=svm seed 0: method: unknown 'svm'/);
    const seeded = await spec('bad4', 'base: { seed: 1 }');
    expect(() => planSweep(seeded, { runsDir: tmp })).toThrow(/seeds/);
    expect(() => parseJobData({ kind: 'train', runsDir: '/r' }, 'job x')).toThrow(
      /job x: invalid job payload at 'runId'/,
    );
  });

  it('keeps one plan per name: the same plan again continues it, a different one is refused', async () => {
    const runsDir = join(tmp, 'runs-plan');
    const plan = planSweep(await spec('p', SPEC), { runsDir });
    await saveSweep(runsDir, plan);
    await saveSweep(runsDir, plan);
    const other = planSweep(await spec('p', SPEC.replace('episodes: 100', 'episodes: 200')), { runsDir });
    await expect(saveSweep(runsDir, other)).rejects.toThrow(/different plan/);
  });

  it("runs a list of evaluations per cell: the first is the table's, a cell is done when all are", async () => {
    const runsDir = join(tmp, 'runs-evals');
    const plan = planSweep(
      await spec(
        'e',
        [
          'base: { dataset: omniglot, way: 20 }',
          'eval:',
          '  - { split: evaluation, shot: 1, withinGroup: true }',
          '  - { split: evaluation, shot: 5 }',
        ].join('\n'),
      ),
      { runsDir },
    );
    const [cell] = plan.cells;
    expect(cell.job.evaluate).toMatchObject({ split: 'evaluation', way: 20, shot: 1, withinGroup: true });
    expect(cell.job.evaluateAlso).toEqual([
      expect.objectContaining({ split: 'evaluation', way: 20, shot: 5, episodes: 600, query: 15 }),
    ]);
    expect(cell.job.evaluateAlso![0]).not.toHaveProperty('withinGroup');
    expect(parseJobData(cell.job, 'test')).toEqual(cell.job);
    // Within-group reports have their own names.
    expect(cellReportPath(cell)).toMatch(/-20w1s15q-600e-seed0-bnbatch-group\.json$/);
    const first = cellReportPath(cell);
    await mkdir(dirname(first), { recursive: true });
    await writeFile(first, JSON.stringify({ accuracy: 0.9, ci95: 0.01 }));
    expect((await sweepStatus(plan))[0].state).toBe('pending');
    await writeFile(
      cellReportPath(cell, cell.job.evaluateAlso![0]),
      JSON.stringify({ accuracy: 0.95, ci95: 0.01 }),
    );
    expect((await sweepStatus(plan))[0]).toMatchObject({ state: 'done', accuracy: 0.9 });
  });

  it('reports per setting the mean over seeds with a t-based 95% CI across seeds', async () => {
    const runsDir = join(tmp, 'runs-table');
    const plan = planSweep(await spec('t', 'grid: { method: [rcn, protonet] }\nseeds: 3'), { runsDir });
    const acc: Record<string, number[]> = { rcn: [0.5, 0.6, 0.7], protonet: [0.4] };
    for (const c of plan.cells) {
      const a = acc[c.setting.method as string][c.seed];
      if (a === undefined) continue;
      const path = cellReportPath(c);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, JSON.stringify({ accuracy: a, ci95: 0.01 }));
    }
    const status = await sweepStatus(plan);
    expect(status.filter((c) => c.state === 'done')).toHaveLength(4);
    expect(status.filter((c) => c.state === 'pending')).toHaveLength(2);
    const [rcn, proto] = sweepTable(plan, status);
    expect(rcn.setting).toEqual({ method: 'rcn' });
    expect(rcn.done).toBe(3);
    expect(rcn.mean).toBeCloseTo(0.6, 12);
    // sample std 0.1, n = 3: half-width t(0.975, 2) * 0.1 / sqrt(3), t(0.975, 2) = 4.302652729911275
    expect(rcn.ci95).toBeCloseTo((4.302652729911275 * 0.1) / Math.sqrt(3), 9);
    expect(rcn.ci95).toBeCloseTo(meanCi95([0.5, 0.6, 0.7]).ci95, 12);
    expect(tQuantile(0.975, 2)).toBeCloseTo(4.302652729911275, 9);
    // One seed: a mean, but no interval across seeds.
    expect(proto).toMatchObject({ done: 1, planned: 3, mean: 0.4, ci95: null });

    const md = sweepMarkdown(plan, [rcn, proto]);
    expect(md).toContain('| method | seeds | accuracy (%) | 95% CI (±) |');
    expect(md).toContain('| rcn | 3/3 | 60.00 | 24.84 |');
    expect(md).toContain('| protonet | 1/3 | 40.00 | - |');
    const csv = sweepCsv(plan, [rcn, proto]).trim().split('\n');
    expect(csv[0]).toBe('method,seeds_done,seeds_planned,mean_accuracy,ci95,std,per_seed');
    expect(csv[2]).toBe('protonet,1,3,0.4,,,0:0.4 1: 2:');
  });

  it('writes CSV numbers rounded to 6 decimals, not float noise (0.9179999999999999)', async () => {
    const runsDir = join(tmp, 'runs-csv');
    const plan = planSweep(await spec('csv', 'grid: { method: [rcn] }\nseeds: 3'), { runsDir });
    const acc = [0.1, 0.2, 0.3];
    for (const c of plan.cells) {
      const path = cellReportPath(c);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, JSON.stringify({ accuracy: acc[c.seed], ci95: 0.01 }));
    }
    const [row] = sweepTable(plan, await sweepStatus(plan));
    // The mean as computed carries float noise; the CSV does not.
    expect(String(row.mean)).toBe('0.20000000000000004');
    const line = sweepCsv(plan, [row]).trim().split('\n')[1].split(',');
    expect(line.slice(0, 4)).toEqual(['rcn', '3', '3', '0.2']);
    expect(line[4]).toBe(String(Number(row.ci95!.toFixed(6))));
    expect(line[5]).toBe('0.1');
    expect(line[6]).toBe('0:0.1 1:0.2 2:0.3');
  });
});
