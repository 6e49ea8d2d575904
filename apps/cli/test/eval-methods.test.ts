/**
 * A checkpoint of every method (RCN, ProtoNet, Relation Network) through `rcn eval`: each opens as its
 * own model (the metadata's `method`), is normalised as it was trained, and its report goes where
 * `RunDir` puts it, under the name the API's evaluation jobs use too. Real data: tiny-imagenet-32.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireSharedData } from '@rcn/test-utils';
import { evaluationName } from '@rcn/core';
import { runJob } from '@rcn/jobs';

const main = resolve(fileURLToPath(new URL('../dist/main.js', import.meta.url)));
const { available: haveData, dir: dataDir } = requireSharedData('tiny-imagenet-32');

function cli(args: string[], runsDir: string) {
  return spawnSync(process.execPath, [main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, RCN_BACKEND: 'wasm', RCN_RUNS_DIR: runsDir },
  });
}

describe.skipIf(!haveData)('rcn eval, every method', () => {
  let runs: string;
  beforeAll(async () => {
    runs = await mkdtemp(join(tmpdir(), 'rcn-cli-methods-'));
  });
  afterAll(async () => {
    await rm(runs, { recursive: true, force: true });
  });

  it.each(['rcn', 'protonet', 'relationnet'])(
    '%s: trains, then evaluates by run reference',
    async (method) => {
      const t = cli(
        [
          'train',
          '--method',
          method,
          '--dataset',
          'tiny-imagenet-32',
          '--data-dir',
          dataDir,
          '--query',
          '2',
          '--val-query',
          '2',
          '--val-episodes',
          '2',
          '--episodes',
          '2',
          '--val-every',
          '2',
          '--run-id',
          method,
          '--json',
        ],
        runs,
      );
      expect(t.status, t.stderr).toBe(0);
      // `<runId>/latest`, looked up in the runs folder (RCN_RUNS_DIR).
      const r = cli(
        [
          'eval',
          '--checkpoint',
          `${method}/latest`,
          '--data-dir',
          dataDir,
          '--split',
          'val',
          '--episodes',
          '4',
          '--query',
          '3',
          '--seed',
          '3',
          '--json',
        ],
        runs,
      );
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as {
        method: string;
        checkpoint: string;
        accuracy: number;
        ci95: number;
        episodes: number;
        perClass: { accuracy: number }[];
        bnInference: 'batch' | 'running';
      };
      expect(report.method).toBe(method);
      expect(report.checkpoint).toBe(`${method}/latest`);
      expect(report.episodes).toBe(4);
      expect(report.accuracy).toBeGreaterThanOrEqual(0);
      expect(report.accuracy).toBeLessThanOrEqual(1);
      expect(Number.isFinite(report.ci95)).toBe(true);
      expect(report.perClass.length).toBeGreaterThan(0);
      const name = evaluationName({
        checkpoint: 'latest',
        dataset: 'tiny-imagenet-32',
        split: 'val',
        way: 5,
        shot: 1,
        query: 3,
        episodes: 4,
        seed: 3,
        bnInference: report.bnInference,
      });
      const reportPath = join(runs, method, 'evaluations', `${name}.json`);
      const cliReport = JSON.parse(await readFile(reportPath, 'utf8')) as Record<string, unknown>;
      // The job runner's evaluation job on the same checkpoint and settings (what the API submits): the same
      // report, rewritten in the same place.
      const settings = {
        dataset: 'tiny-imagenet-32',
        split: 'val',
        way: 5,
        shot: 1,
        query: 3,
        episodes: 4,
        seed: 3,
      };
      const outcome = await runJob({
        kind: 'evaluate',
        runsDir: runs,
        dataDir,
        backend: 'wasm',
        checkpoint: `${method}/latest`,
        settings,
      });
      expect(outcome.status).toBe('finished');
      expect(outcome.result).toMatchObject({ kind: 'evaluate', reportPath });
      const job = JSON.parse(await readFile(reportPath, 'utf8')) as Record<string, unknown>;
      expect(job.createdAt).not.toBe(cliReport.createdAt); // rewritten
      const timeless = ({ createdAt: _c, seconds: _s, ...rest }: Record<string, unknown>) => rest;
      expect(timeless(job)).toEqual(timeless(cliReport));
    },
  );

  it('one report per evaluation, in the run only (not beside the checkpoint)', async () => {
    expect(await readdir(join(runs, 'rcn', 'evaluations'))).toHaveLength(1);
    const inCheckpoint = await readdir(join(runs, 'rcn', 'checkpoints', 'latest'));
    expect(inCheckpoint.filter((f) => f.startsWith('eval'))).toEqual([]);
    const saved = JSON.parse(
      await readFile(join(runs, 'rcn', 'checkpoints', 'latest', 'metadata.json'), 'utf8'),
    ) as { method: string; version: number };
    expect(saved).toMatchObject({ method: 'rcn', version: 2 });
  });
});
