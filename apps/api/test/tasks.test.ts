/**
 * Fixed tasks files through the API: a JSON tasks file and Lake's one-shot layout, both written by the test
 * into a temp data folder with real tiny-imagenet-32 images; listing, an `evaluateTasks` job on a tiny
 * checkpoint with its report, the explorer's view of one task, and path refusals.
 */
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sharedDataDir, removeDirs, startServer, type ServerProcess } from '@rcn/test-utils';
import { DATASET, describeWithData } from './_data.js';
import { codeOf, finished, JOB_FIELDS, ok, trainTiny, waitJob, type JobView } from './_helpers.js';

const RUN = 'tasks-tiny';
const FILE = { path: 'my-tasks/tasks.json' };
const LAKE = { path: 'lake' };

/** `n` classes of the real test split, `k` images each. */
function realImages(n: number, k: number): { cls: string; files: string[] }[] {
  const rows = readFileSync(join(sharedDataDir(), DATASET, 'test.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  const by = new Map<string, string[]>();
  for (const r of rows) {
    const [f, c] = r.split(',');
    if (!by.has(c)) by.set(c, []);
    by.get(c)!.push(f);
  }
  return [...by.entries()].slice(0, n).map(([cls, files]) => ({ cls, files: files.slice(0, k) }));
}

describeWithData('fixed tasks files', () => {
  let s: ServerProcess;
  let data: string;

  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), 'rcn-api-tasks-data-'));
    // The real dataset (for the tiny training run) through symlinks to its files: discovery wants a folder.
    mkdirSync(join(data, DATASET));
    for (const f of readdirSync(join(sharedDataDir(), DATASET)))
      symlinkSync(join(sharedDataDir(), DATASET, f), join(data, DATASET, f));
    const src = (f: string) => join(sharedDataDir(), DATASET, 'images', f);
    // A JSON tasks file: two 3-way 1-shot episodes, 2 queries per class, paths relative to the file.
    const classes = realImages(3, 3);
    mkdirSync(join(data, 'my-tasks', 'img'), { recursive: true });
    for (const c of classes) for (const f of c.files) copyFileSync(src(f), join(data, 'my-tasks', 'img', f));
    const img = (f: string) => `img/${f}`;
    writeFileSync(
      join(data, FILE.path),
      JSON.stringify({
        name: 'three classes',
        episodes: [
          {
            id: 'first',
            support: classes.map((c) => ({ path: img(c.files[0]), label: c.cls })),
            query: classes.flatMap((c) => c.files.slice(1).map((f) => ({ path: img(f), label: c.cls }))),
          },
          {
            support: classes.map((c) => ({ path: img(c.files[1]), label: c.cls })),
            query: classes.flatMap((c) =>
              [c.files[0], c.files[2]].map((f) => ({ path: img(f), label: c.cls })),
            ),
          },
        ],
      }),
    );
    // Lake's layout: run01/class_labels.txt, training/classNN.png, test/itemNN.png (PNG, as Lake ships).
    const lake = join(data, 'lake', 'run01');
    mkdirSync(join(lake, 'training'), { recursive: true });
    mkdirSync(join(lake, 'test'), { recursive: true });
    const lines: string[] = [];
    for (const [i, c] of classes.entries()) {
      const n = String(i + 1).padStart(2, '0');
      await sharp(src(c.files[0]))
        .png()
        .toFile(join(lake, 'training', `class${n}.png`));
      await sharp(src(c.files[1]))
        .png()
        .toFile(join(lake, 'test', `item${n}.png`));
      lines.push(`run01/test/item${n}.png run01/training/class${n}.png`);
    }
    writeFileSync(join(lake, 'class_labels.txt'), lines.join('\n') + '\n');
    // Refusals: a tasks file naming an image outside the data folder, and a symlink leaving it.
    const outside = mkdtempSync(join(tmpdir(), 'rcn-api-tasks-outside-'));
    copyFileSync(src(classes[0].files[0]), join(outside, 'secret.jpeg'));
    writeFileSync(join(outside, 'tasks.json'), readFileSync(join(data, FILE.path)));
    writeFileSync(
      join(data, 'escape.json'),
      JSON.stringify({
        episodes: [
          {
            support: [
              { path: join(outside, 'secret.jpeg'), label: 'a' },
              { path: `my-tasks/${img(classes[1].files[0])}`, label: 'b' },
            ],
            query: [{ path: '../../../etc/hostname', label: 'a' }],
          },
        ],
      }),
    );
    symlinkSync(join(outside, 'tasks.json'), join(data, 'linked.json'));
    s = await startServer({ env: { RCN_DATA_DIR: data } });
    const job = await waitJob(s, (await trainTiny(s, RUN)).id, finished);
    expect(job.status, job.error ?? '').toBe('finished');
  }, 180_000);

  afterAll(async () => {
    await s?.stop();
    if (s) removeDirs(s.dirs);
    if (data) rmSync(data, { recursive: true, force: true });
  });

  it('lists the episodes of a tasks file and of a folder of Lake runs', async () => {
    const q = `query ($f: TasksFileInput!) { tasksFile(file: $f) { path run format name metric episodeCount episodes { index id way shot queries classes } } }`;
    const json = ok(await s.gql<{ tasksFile: Record<string, unknown> }>(q, { f: FILE })).tasksFile;
    expect(json).toMatchObject({ path: FILE.path, run: null, format: 'json', name: 'three classes' });
    expect(json).toMatchObject({ metric: 'accuracy', episodeCount: 2 });
    expect(json.episodes).toEqual([
      expect.objectContaining({ index: 0, id: 'first', way: 3, shot: 1, queries: 6 }),
      expect.objectContaining({ index: 1, id: 'episode 1', way: 3, shot: 1, queries: 6 }),
    ]);
    const lake = ok(await s.gql<{ tasksFile: Record<string, unknown> }>(q, { f: LAKE })).tasksFile;
    expect(lake).toMatchObject({ format: 'lake', metric: 'error', episodeCount: 1 });
    expect(lake.episodes).toEqual([
      { index: 0, id: 'run01', way: 3, shot: 1, queries: 3, classes: ['class01', 'class02', 'class03'] },
    ]);
    // Responses never name server folders.
    expect(JSON.stringify(lake)).not.toContain(data);
    // A tasks file in the run's folder: its images beside it.
    const own = join(s.dirs.runs, RUN, 'own');
    cpSync(join(data, 'my-tasks'), own, { recursive: true });
    const inRun = ok(
      await s.gql<{ tasksFile: Record<string, unknown> }>(q, { f: { path: 'own/tasks.json', run: RUN } }),
    ).tasksFile;
    expect(inRun).toMatchObject({ path: 'own/tasks.json', run: RUN, format: 'json', episodeCount: 2 });
    const escape = await s.gql(q, { f: { path: '../../x.json', run: RUN } });
    expect(codeOf(escape)).toBe('FORBIDDEN_PATH');
    expect(codeOf(await s.gql(q, { f: { path: 'own/tasks.json', run: 'no-such-run' } }))).toBe('NOT_FOUND');
  });

  it('refuses paths that leave the data folder, and names what is missing', async () => {
    const q = `query ($f: TasksFileInput!) { tasksFile(file: $f) { episodeCount } }`;
    const code = async (f: Record<string, unknown>) => codeOf(await s.gql(q, { f }));
    expect(await code({ path: '../etc/passwd' })).toBe('FORBIDDEN_PATH');
    expect(await code({ path: '/etc/passwd' })).toBe('FORBIDDEN_PATH');
    expect(await code({ path: 'my-tasks/../../x.json' })).toBe('FORBIDDEN_PATH');
    expect(await code({ path: 'linked.json' })).toBe('FORBIDDEN_PATH');
    expect(await code({ path: 'no-such.json' })).toBe('NOT_FOUND');
    expect(await code({ path: 'x', run: '../x' })).toBe('FORBIDDEN_PATH');
    // A folder that is not Lake's layout.
    expect(await code({ path: DATASET })).toBe('BAD_USER_INPUT');
    // A task naming images outside the folder cannot be evaluated or opened.
    const r = await s.gql(
      `mutation ($f: TasksFileInput!) { evaluateTasks(checkpoint: "${RUN}/best", file: $f) { id } }`,
      { f: { path: 'escape.json' } },
    );
    expect(codeOf(r)).toBe('FORBIDDEN_PATH');
    expect(JSON.stringify(r)).not.toContain(tmpdir());
    // A mutation: the token is required.
    const anonymous = await s.gql(
      `mutation ($f: TasksFileInput!) { evaluateTasks(checkpoint: "${RUN}/best", file: $f) { id } }`,
      { f: LAKE },
      null,
    );
    expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
  });

  it('evaluates a checkpoint on Lake runs in a job: error rate per run, report under the run', async () => {
    const { evaluateTasks } = ok(
      await s.gql<{ evaluateTasks: JobView }>(
        `mutation ($f: TasksFileInput!) { evaluateTasks(checkpoint: "${RUN}/best", file: $f) { ${JOB_FIELDS} } }`,
        { f: LAKE },
      ),
    );
    const done = await waitJob(s, evaluateTasks.id, finished);
    expect(done, s.log()).toMatchObject({ status: 'finished', runId: RUN, error: null });
    expect(done.progress).toMatchObject({ phase: 'tasks', done: 1, total: 1 });
    const fields = `name checkpoint tasks file { path run } title metric episodes accuracy ci95 errorRate perEpisode { index id way shot queries correct accuracy errorRate outOfDomain }`;
    interface Report {
      name: string;
      tasks: string;
      metric: string;
      episodes: number;
      accuracy: number;
      errorRate: number;
      perEpisode: { id: string; queries: number; correct: number; accuracy: number; errorRate: number }[];
    }
    const { job } = ok(
      await s.gql<{ job: { config: { tasks: string }; evaluation: null; taskEvaluation: Report } }>(
        `{ job(id: "${evaluateTasks.id}") { config evaluation { name } taskEvaluation { ${fields} } } }`,
      ),
    );
    expect(job.config.tasks).toBe('lake');
    expect(job.evaluation).toBeNull();
    const rep = job.taskEvaluation;
    expect(rep).toMatchObject({ tasks: 'lake', metric: 'error', episodes: 1 });
    expect(rep).toMatchObject({ file: { path: 'lake', run: null }, checkpoint: `${RUN}/best` });
    expect(rep.perEpisode).toHaveLength(1);
    const run01 = rep.perEpisode[0];
    expect(run01).toMatchObject({ id: 'run01', queries: 3 });
    expect(run01.accuracy).toBeCloseTo(run01.correct / 3, 6);
    expect(run01.errorRate).toBeCloseTo(1 - run01.accuracy, 6);
    expect(rep.errorRate).toBeCloseTo(1 - rep.accuracy, 6);
    expect(JSON.stringify(rep)).not.toContain(data);
    // The report, readable under the run (and by name).
    const { run } = ok(
      await s.gql<{ run: { taskEvaluations: Report[] } }>(
        `{ run(id: "${RUN}") { taskEvaluations(name: ${JSON.stringify(rep.name)}) { ${fields} } } }`,
      ),
    );
    expect(run.taskEvaluations).toEqual([rep]);
  });

  it('evaluates a JSON tasks file: accuracy with a 95% CI over its episodes', async () => {
    const { evaluateTasks } = ok(
      await s.gql<{ evaluateTasks: JobView }>(
        `mutation ($f: TasksFileInput!) { evaluateTasks(checkpoint: "${RUN}/best", file: $f) { ${JOB_FIELDS} } }`,
        { f: FILE },
      ),
    );
    expect((await waitJob(s, evaluateTasks.id, finished)).status).toBe('finished');
    const { job } = ok(
      await s.gql<{
        job: { taskEvaluation: { accuracy: number; ci95: number; perEpisode: { accuracy: number }[] } };
      }>(`{ job(id: "${evaluateTasks.id}") { taskEvaluation { accuracy ci95 perEpisode { accuracy } } } }`),
    );
    const per = job.taskEvaluation.perEpisode.map((p) => p.accuracy);
    expect(per).toHaveLength(2);
    expect(job.taskEvaluation.accuracy).toBeCloseTo((per[0] + per[1]) / 2, 6);
    // t(0.975, 1) = 12.706; sample std of two values = |a - b| / sqrt(2).
    expect(job.taskEvaluation.ci95).toBeCloseTo(
      (12.706 * Math.abs(per[0] - per[1])) / Math.sqrt(2) / Math.sqrt(2),
      2,
    );
  });

  it("opens one task for the explorer: predictions, images and a pair's RAM", async () => {
    const { taskPrediction: p } = ok(
      await s.gql<{
        taskPrediction: {
          accuracy: number;
          grid: { rows: number };
          episode: {
            id: string;
            dataset: string;
            split: string;
            way: number;
            classes: { name: string }[];
            support: { url: string; imageId: string }[];
            queries: { url: string; label: number }[];
          };
          queries: { probabilities: number[]; trueLabel: number; supports: { regionScores: number[] }[] }[];
        };
      }>(
        `query ($f: TasksFileInput!) { taskPrediction(checkpoint: "${RUN}/best", file: $f, episode: "first") { accuracy grid { rows } episode { id dataset split way classes { name } support { url imageId } queries { url label } } queries { probabilities trueLabel supports { regionScores } } } }`,
        { f: FILE },
      ),
    );
    expect(p.episode).toMatchObject({ dataset: FILE.path, split: 'tasks', way: 3 });
    expect(p.episode.id).toBe(`${FILE.path}#first`);
    expect(p.episode.support.map((x) => x.imageId)).toEqual(realImages(3, 3).map((c) => `img/${c.files[0]}`));
    for (const im of [...p.episode.support, ...p.episode.queries]) {
      expect(im.url).toMatch(/^\/files\/[0-9a-f]{64}\.png$/);
      const png = await fetch(`${s.url}${im.url}`);
      expect(png.headers.get('content-type')).toBe('image/png');
    }
    expect(p.queries).toHaveLength(6);
    expect(p.queries.map((q) => q.trueLabel)).toEqual([0, 0, 1, 1, 2, 2]);
    for (const q of p.queries) {
      expect(q.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(q.supports).toHaveLength(3);
      expect(q.supports[0].regionScores).toHaveLength(p.grid.rows * p.grid.rows);
    }
    const { taskRam } = ok(
      await s.gql<{
        taskRam: { support: number; probability: number; regionScores: number[]; urls: { panel: string } };
      }>(
        `query ($f: TasksFileInput!) { taskRam(checkpoint: "${RUN}/best", file: $f, episode: "1", query: 2, support: 1) { support probability regionScores urls { panel } } }`,
        { f: FILE },
      ),
    );
    expect(taskRam.support).toBe(1);
    expect(taskRam.regionScores).toHaveLength(p.grid.rows * p.grid.rows);
    expect(taskRam.urls.panel).toMatch(/^\/files\/.*\.png$/);
    // An unknown episode and an out-of-range pair are named.
    const bad = await s.gql(
      `query ($f: TasksFileInput!) { taskPrediction(checkpoint: "${RUN}/best", file: $f, episode: "nope") { accuracy } }`,
      { f: FILE },
    );
    expect(codeOf(bad)).toBe('NOT_FOUND');
    expect(bad.errors?.[0]?.message).toMatch(/no episode 'nope'/);
  });
});
