/**
 * One evaluation path: the same request through the API (an `evaluate` or `evaluateTasks` job) and through
 * `pnpm cli eval` (the built CLI, on the same runs and data folders) writes the same report, field for
 * field, except when it was written (`createdAt`) and how long it took (`seconds`).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT, removeDirs, sharedDataDir, startServer, type ServerProcess } from '@rcn/test-utils';
import { DATASET, describeWithData } from './_data.js';
import { finished, JOB_FIELDS, ok, trainTiny, waitJob, type JobView } from './_helpers.js';

const RUN = 'same-report';
const CLI = join(REPO_ROOT, 'apps', 'cli', 'dist', 'main.js');

type Report = Record<string, unknown>;
const timeless = ({ createdAt: _c, seconds: _s, ...rest }: Report): Report => rest;
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Report;

describeWithData('the CLI and the API write the same report', () => {
  let s: ServerProcess;

  const cli = (args: string[]): Report => {
    const r = spawnSync(process.execPath, [CLI, 'eval', '--checkpoint', `${RUN}/best`, ...args, '--json'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        RCN_BACKEND: 'wasm',
        RCN_RUNS_DIR: s.dirs.runs,
        RCN_DATA_DIR: sharedDataDir(),
      },
    });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Report;
  };

  const job = async (mutation: string, variables: Record<string, unknown>) => {
    const data = ok(await s.gql<Record<string, JobView>>(mutation, variables));
    const done = await waitJob(s, Object.values(data)[0].id, finished);
    expect(done, s.log()).toMatchObject({ status: 'finished', error: null });
  };

  beforeAll(async () => {
    s = await startServer({ env: { RCN_BACKEND: 'wasm' } });
    const trained = await waitJob(s, (await trainTiny(s, RUN)).id, finished);
    expect(trained.status, trained.error ?? '').toBe('finished');
    // A tasks file in the run's folder: one 3-way 1-shot episode of real test images beside it.
    const rows = readFileSync(join(sharedDataDir(), DATASET, 'test.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    const byClass = new Map<string, string[]>();
    for (const [file, cls] of rows.map((r) => r.split(',')))
      byClass.set(cls, [...(byClass.get(cls) ?? []), file]);
    const classes = [...byClass.entries()].slice(0, 3);
    const dir = join(s.dirs.runs, RUN, 'my-tasks');
    mkdirSync(dir, { recursive: true });
    for (const [, files] of classes)
      for (const f of files.slice(0, 3))
        copyFileSync(join(sharedDataDir(), DATASET, 'images', f), join(dir, f));
    writeFileSync(
      join(dir, 'tasks.json'),
      JSON.stringify({
        episodes: [
          {
            support: classes.map(([cls, files]) => ({ path: files[0], label: cls })),
            query: classes.flatMap(([cls, files]) => files.slice(1, 3).map((path) => ({ path, label: cls }))),
          },
        ],
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await s?.stop();
    if (s) removeDirs(s.dirs);
  });

  it('sampled episodes: the run test split unless given, every field equal', async () => {
    const settings = { dataset: DATASET, way: 5, shot: 1, query: 2, episodes: 3, seed: 2 };
    await job(
      `mutation ($c: EvaluateInput!) { evaluate(checkpoint: "${RUN}/best", config: $c) { ${JOB_FIELDS} } }`,
      { c: settings },
    );
    const evaluations = join(s.dirs.runs, RUN, 'evaluations');
    const [name] = readdirSync(evaluations);
    const api = readJson(join(evaluations, name));
    expect(api).toMatchObject({ checkpoint: `${RUN}/best`, split: 'test', episodes: 3 });
    const flags = ['--dataset', DATASET, '--way', '5', '--shot', '1', '--query', '2', '--episodes', '3'];
    const cliReport = cli([...flags, '--seed', '2']);
    expect(timeless(cliReport)).toEqual(timeless(api));
    // Written where the API wrote it, under the same name.
    expect(readdirSync(evaluations)).toEqual([name]);
  });

  it('a tasks file: every field equal', async () => {
    await job(
      `mutation ($f: TasksFileInput!) { evaluateTasks(checkpoint: "${RUN}/best", file: $f) { ${JOB_FIELDS} } }`,
      { f: { path: 'my-tasks/tasks.json', run: RUN } },
    );
    const tasks = join(s.dirs.runs, RUN, 'tasks');
    const api = readJson(join(tasks, `best-tasks-run_${RUN}_my-tasks_tasks.json`));
    expect(api).toMatchObject({ checkpoint: `${RUN}/best`, episodes: 1 });
    const cliReport = cli(['--tasks', realpathSync(join(s.dirs.runs, RUN, 'my-tasks', 'tasks.json'))]);
    expect(timeless(cliReport)).toEqual(timeless(api));
  });
});
