/**
 * The server under misuse (issue 13): a corrupt run folder, a run whose trainer was killed, the same run id
 * twice, cancel and shutdown mid-training, server paths in responses, compute amplification by aliasing,
 * one client flooding, schema hints in production, and the token for inference.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TEST_TOKEN,
  sharedDataDir,
  removeDirs,
  postFrom,
  startServer,
  tempDirs,
  type GraphQLResult,
  type ServerProcess,
} from '@rcn/test-utils';
import { DATASET, describeWithData } from './_data.js';
import { JOB_FIELDS, codeOf, finished, ok, trainTiny, waitJob, type JobView } from './_helpers.js';

/** A GraphQL request from a given loopback source address: a distinct client for the server. */
async function gqlFrom<T>(
  url: string,
  localAddress: string,
  query: string,
  token: string | null = TEST_TOKEN,
): Promise<GraphQLResult<T>> {
  const { status, text } = await postFrom(url, localAddress, JSON.stringify({ query }), token);
  return { status, ...(JSON.parse(text) as Omit<GraphQLResult<T>, 'status'>) };
}

function trainerState(runs: string, id: string): number {
  const state = JSON.parse(
    readFileSync(join(runs, id, 'checkpoints', 'latest', 'trainer-state.json'), 'utf8'),
  ) as { progress: { episode: number } };
  return state.progress.episode;
}

function statusFile(runs: string, id: string): { status: string; episode: number; error?: string } {
  return JSON.parse(readFileSync(join(runs, id, 'status.json'), 'utf8')) as {
    status: string;
    episode: number;
  };
}

const prediction = (alias: string, ck: string, way: number, shot: number, query: number, index = 0) =>
  `${alias}: prediction(checkpoint: "${ck}", episode: { dataset: "${DATASET}", split: "test", way: ${way}, shot: ${shot}, query: ${query}, index: ${index} }) { accuracy }`;

describeWithData('the server under misuse', () => {
  let s: ServerProcess;
  const extra: ReturnType<typeof tempDirs>[] = [];

  beforeAll(async () => {
    s = await startServer();
    const job = await trainTiny(s, 'base');
    expect((await waitJob(s, job.id, finished)).status).toBe('finished');
  }, 120_000);

  afterAll(async () => {
    await s?.stop();
    if (s) removeDirs(s.dirs);
    extra.forEach(removeDirs);
  });

  it('lists every run when one status.json is corrupt, that one with its error', async () => {
    const config = readFileSync(join(s.dirs.runs, 'base', 'config.json'), 'utf8');
    mkdirSync(join(s.dirs.runs, 'corrupt'));
    writeFileSync(join(s.dirs.runs, 'corrupt', 'config.json'), config);
    writeFileSync(join(s.dirs.runs, 'corrupt', 'status.json'), '{"status": "runn');
    const { runs } = ok(
      await s.gql<{ runs: { id: string; status: string; error: string | null }[] }>(
        '{ runs { id status error } }',
      ),
    );
    expect(runs.find((r) => r.id === 'base')?.status).toBe('finished');
    expect(runs.find((r) => r.id === 'corrupt')).toMatchObject({ status: 'failed' });
    expect(runs.find((r) => r.id === 'corrupt')?.error).toMatch(/corrupt\/status\.json: invalid JSON/);
    const one = ok(await s.gql<{ run: { status: string } }>('{ run(id: "corrupt") { status error } }'));
    expect(one.run.status).toBe('failed');
  });

  it('shows a run whose trainer died as interrupted, and restarts it without a checkpoint', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const config = JSON.parse(readFileSync(join(s.dirs.runs, 'base', 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    mkdirSync(join(s.dirs.runs, 'orphan'));
    writeFileSync(join(s.dirs.runs, 'orphan', 'config.json'), JSON.stringify(config));
    const t = new Date().toISOString();
    writeFileSync(
      join(s.dirs.runs, 'orphan', 'status.json'),
      JSON.stringify({
        id: 'orphan',
        status: 'running',
        config,
        episode: 0,
        bestValAccuracy: null,
        bestValCi95: null,
        bestEpisode: null,
        startedAt: t,
        updatedAt: t,
        owner: { pid: dead, host: (await import('node:os')).hostname(), heartbeatAt: t },
      }),
    );
    const { run } = ok(
      await s.gql<{ run: { status: string; error: string } }>('{ run(id: "orphan") { status error } }'),
    );
    expect(run.status).toBe('interrupted');
    expect(run.error).toMatch(new RegExp(`pid ${dead}\\) is gone`));
    const { resumeTraining } = ok(
      await s.gql<{ resumeTraining: JobView }>(
        `mutation { resumeTraining(runId: "orphan") { ${JOB_FIELDS} } }`,
      ),
    );
    const done = await waitJob(s, resumeTraining.id, finished);
    expect(done.status, JSON.stringify(done)).toBe('finished');
    expect(statusFile(s.dirs.runs, 'orphan')).toMatchObject({ status: 'finished', episode: 4 });
  });

  it('refuses a second startTraining with the same runId up front with CONFLICT, without server paths', async () => {
    const first = await trainTiny(s, 'twice', { episodes: 2000, valEvery: 2000 });
    const second = await s.gql(`mutation ($c: TrainConfigInput!) { startTraining(config: $c) { id } }`, {
      c: { dataset: DATASET, way: 5, shot: 1, query: 3, valQuery: 3, episodes: 4, runId: 'twice' },
    });
    expect(codeOf(second)).toBe('CONFLICT');
    expect(JSON.stringify(second)).not.toContain(s.dirs.root);

    // Cancel mid-training: the job stops at the end of its current step, saved; nothing done is lost.
    await waitJob(s, first.id, (j) => (j.progress?.done ?? 0) >= 2 || finished(j));
    ok(await s.gql(`mutation { cancelJob(id: "${first.id}") { id } }`));
    const done = await waitJob(s, first.id, finished);
    expect(done.status).toBe('cancelled');
    expect(done.error).toBeNull();
    const st = statusFile(s.dirs.runs, 'twice');
    expect(st.status).toBe('interrupted');
    expect(trainerState(s.dirs.runs, 'twice')).toBe(st.episode);
    expect(done.progress?.done).toBe(st.episode);
  });

  it('answers without any configured absolute folder in responses', async () => {
    // A report as `rcn eval` writes it: the checkpoint named by its absolute path.
    const evals = join(s.dirs.runs, 'base', 'evaluations');
    mkdirSync(evals, { recursive: true });
    const report = {
      checkpoint: join(s.dirs.runs, 'base', 'checkpoints', 'best'),
      dataset: DATASET,
      split: 'test',
      way: 5,
      shot: 1,
      query: 1,
      episodes: 1,
      seed: 0,
      accuracy: 0.2,
      ci95: 0,
      perClass: [],
      perEpisode: [0.2],
    };
    writeFileSync(join(evals, 'cli.json'), JSON.stringify(report));
    // A job that fails with a message naming a file in the data folder.
    const cfgPath = join(s.dirs.runs, 'corrupt', 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    mkdirSync(join(s.dirs.runs, 'nodata'));
    writeFileSync(
      join(s.dirs.runs, 'nodata', 'config.json'),
      JSON.stringify({ ...cfg, dataset: 'gone', dataDir: sharedDataDir() }),
    );
    const job = ok(
      await s.gql<{ resumeTraining: JobView }>(`mutation { resumeTraining(runId: "nodata") { id } }`),
    ).resumeTraining;
    expect((await waitJob(s, job.id, finished)).status).toBe('failed');
    // A run the CLI trained on a folder of images given by its path, outside the data folder (its config
    // records the absolute folder and data folder); resumed here, it fails on an image it cannot decode,
    // and the error names that image by its path.
    const folder = join(s.dirs.root, 'elsewhere', 'my-images');
    for (const c of ['a', 'b', 'c', 'd', 'e']) {
      mkdirSync(join(folder, c), { recursive: true });
      for (let i = 1; i <= 4; i++) writeFileSync(join(folder, c, `${i}.pgm`), 'P5\n28 28\n255\n');
    }
    writeFileSync(
      join(folder, 'splits.json'),
      JSON.stringify({ train: ['a', 'b'], val: ['c', 'd'], test: ['e'] }),
    );
    mkdirSync(join(s.dirs.runs, 'byfolder'));
    writeFileSync(
      join(s.dirs.runs, 'byfolder', 'config.json'),
      JSON.stringify({ ...cfg, dataset: folder, dataDir: sharedDataDir(), way: 2, valEpisodes: 1 }),
    );
    const byFolder = ok(
      await s.gql<{ resumeTraining: JobView }>(`mutation { resumeTraining(runId: "byfolder") { id } }`),
    ).resumeTraining;
    const failed = await waitJob(s, byFolder.id, finished);
    expect(failed.status).toBe('failed');
    // The error names the image (its class folder and file), not where the server keeps it.
    expect(failed.error).toMatch(/my-images\/[ab]\/\d\.pgm/);

    const res = await s.gql(
      `{ runs { id dataset error config evaluations { name checkpoint dataset } checkpoints { ref } }
         run(id: "byfolder") { dataset config error }
         jobs(limit: 50) { id error config run { dataset error config } }
         datasets { name error } }`,
    );
    const data = ok(res) as { run: { dataset: string; config: { dataset: string } } };
    const text = JSON.stringify(data);
    expect(text).toContain('base/checkpoints/best');
    // A folder dataset is shown by its name.
    expect(data.run.dataset).toBe('my-images');
    expect(data.run.config.dataset).toBe('my-images');
    expect(text).not.toContain('"dataDir"');
    for (const root of new Set([
      s.dirs.root,
      realpathSync(s.dirs.root),
      sharedDataDir(),
      realpathSync(sharedDataDir()),
      folder,
      '/elsewhere/',
    ]))
      expect(text).not.toContain(root);
  });

  it('stops a training job on shutdown at the end of its step, saved, and marks the run interrupted', async () => {
    const job = await trainTiny(s, 'shutdown', { episodes: 2000, valEvery: 2000 });
    await waitJob(s, job.id, (j) => (j.progress?.done ?? 0) >= 2 || finished(j));
    await s.stop('SIGTERM');
    const st = statusFile(s.dirs.runs, 'shutdown');
    expect(st.status).toBe('interrupted');
    expect(st.episode).toBeGreaterThanOrEqual(2);
    expect(trainerState(s.dirs.runs, 'shutdown')).toBe(st.episode);
    // A second server on the same folders, protected for inference and in production mode, for the
    // remaining tests.
    const root = tempDirs();
    extra.push(root);
    const configPath = join(root.root, 'api.json');
    writeFileSync(configPath, JSON.stringify({ limits: { clientWorkPerMinute: 1000, maxClientPending: 1 } }));
    const dirs = { root: s.dirs.root, runs: s.dirs.runs, db: join(root.root, 'api.sqlite') };
    s = await startServer({
      dirs,
      env: { RCN_API_CONFIG: configPath, RCN_API_PROTECT_INFERENCE: 'true', NODE_ENV: 'production' },
    });
    const { run } = ok(await s.gql<{ run: { status: string } }>('{ run(id: "shutdown") { status } }'));
    expect(run.status).toBe('interrupted');
  });

  it('requires the token for inference when configured; hides field suggestions in production', async () => {
    const anon = await s.gql(`{ ${prediction('p', 'base/best', 5, 1, 2)} }`, {}, null);
    expect(codeOf(anon)).toBe('UNAUTHENTICATED');
    expect(ok(await s.gql('{ runs { id } }', {}, null))).toBeTruthy();
    const typo = await s.gql('{ runz { id } }', {}, null);
    expect(typo.errors?.[0]?.message).toBeDefined();
    expect(JSON.stringify(typo)).not.toMatch(/Did you mean/);
  });

  it('lists a dataset whose split fails to open with its error; the rest of the list answers', async () => {
    const root = tempDirs();
    extra.push(root);
    const data = join(root.root, 'data');
    for (const name of ['good', 'broken']) {
      mkdirSync(join(data, name), { recursive: true });
      symlinkSync(join(sharedDataDir(), DATASET, 'images'), join(data, name, 'images'));
      for (const f of ['train.csv', 'val.csv', 'test.csv'])
        copyFileSync(join(sharedDataDir(), DATASET, f), join(data, name, f));
    }
    writeFileSync(join(data, 'broken', 'test.csv'), 'filename,label\nno-label-here\n');
    const t = await startServer({ dirs: root, env: { RCN_DATA_DIR: data } });
    try {
      const { datasets } = ok(
        await t.gql<{ datasets: { name: string; error: string | null; splits: { name: string }[] }[] }>(
          '{ datasets { name error splits { name classCount imageCount } } }',
          {},
          null,
        ),
      );
      const by = new Map(datasets.map((d) => [d.name, d]));
      expect(by.get('good')).toMatchObject({ error: null });
      expect(by.get('good')?.splits.map((x) => x.name)).toEqual(['train', 'val', 'test']);
      expect(by.get('broken')?.error).toMatch(/^test: broken\/test\.csv: line 2/);
      expect(by.get('broken')?.splits.map((x) => x.name)).toEqual(['train', 'val']);
      expect(JSON.stringify(datasets)).not.toContain(data);
    } finally {
      await t.stop();
    }
  });

  it('counts model work (images and compared pairs): no aliasing around the limit, a per-client budget', async () => {
    // Three 20-way 10-shot 10-query predictions: 3 x 40,400 work units, over the 100,000 of one request.
    const big = [0, 1, 2].map((i) => prediction(`p${i}`, 'base/best', 20, 10, 10, i)).join(' ');
    const r = await s.gql(`{ ${big} }`);
    expect(codeOf(r)).toBe('QUERY_TOO_COSTLY');
    expect(r.errors?.[0]?.extensions?.work).toBe(3 * 40_400);

    // One client with one request in flight at a time: a flood is refused at once, while another client
    // (another source address) is served meanwhile.
    const small = (i: number) => `{ ${prediction('p', 'base/best', 5, 1, 2, i)} }`;
    const flood = await Promise.all([0, 1, 2, 3].map((i) => gqlFrom(s.url, '127.0.0.2', small(i))));
    const other = await gqlFrom(s.url, '127.0.0.3', small(9));
    expect(other.errors, JSON.stringify(other.errors)).toBeUndefined();
    const codes = flood.map((x) => codeOf(x) ?? 'ok');
    expect(codes).toContain('ok');
    expect(codes).toContain('SERVER_BUSY');

    // Budget of 1000 units a minute: two 20-way 1-shot 1-query predictions (440 each), then refused.
    const mid = (i: number) => `{ ${prediction('p', 'base/best', 20, 1, 1, i)} }`;
    expect(codeOf(await gqlFrom(s.url, '127.0.0.4', mid(0)))).toBeUndefined();
    expect(codeOf(await gqlFrom(s.url, '127.0.0.4', mid(1)))).toBeUndefined();
    const limited = await gqlFrom(s.url, '127.0.0.4', mid(2));
    expect(limited.status).toBe(429);
    expect(codeOf(limited)).toBe('RATE_LIMITED');
    // Others keep their own budget.
    expect(codeOf(await gqlFrom(s.url, '127.0.0.5', mid(3)))).toBeUndefined();
  });
});
