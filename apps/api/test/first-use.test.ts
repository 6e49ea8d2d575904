/**
 * What a new user's trial found (issue 24), on the real server process: a dataset folder that is a symbolic
 * link in the data folder is listed and trains; `startTraining` refuses a plan whose validation split cannot
 * give an episode before any job exists; and a second server started on the same runs folder and database
 * leaves the first one's live training job alone. The data folder is written by the test (binary PGM class
 * folders) beside a link to the shared tiny-imagenet-32.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNetpbm } from '@rcn/core';
import { sharedDataDir, removeDirs, startServer, type ServerProcess } from '@rcn/test-utils';
import { DATASET, describeWithData } from './_data.js';
import { JOB_FIELDS, TINY_TRAIN, codeOf, finished, ok, waitJob, type JobView } from './_helpers.js';

/** 28x28 grey: class c is a bar at a class-specific row, image i shifts it. */
function glyph(c: number, i: number): Uint8Array {
  const data = new Uint8Array(28 * 28).fill(245);
  for (let y = 2 + 2 * c; y < 5 + 2 * c; y++)
    for (let x = 2 + i; x < 14 + i && x < 28; x++) data[y * 28 + x] = 10;
  return encodeNetpbm({ width: 28, height: 28, channels: 1, data });
}

const START = `mutation ($c: TrainConfigInput!) { startTraining(config: $c) { ${JOB_FIELDS} } }`;

describeWithData('first use: linked datasets, the plan up front, two servers on one database', () => {
  let data: string;
  let a: ServerProcess;
  let b: ServerProcess | null = null;

  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), 'rcn-api-first-use-'));
    // Six classes without splits.json: the seeded rule leaves validation one class.
    for (let c = 0; c < 6; c++) {
      mkdirSync(join(data, 'six', `c${c + 1}`), { recursive: true });
      for (let i = 0; i < 12; i++) writeFileSync(join(data, 'six', `c${c + 1}`, `${i + 1}.pgm`), glyph(c, i));
    }
    // The usual way to point at data on another disk.
    symlinkSync(join(sharedDataDir(), DATASET), join(data, 'linked'));
    a = await startServer({ env: { RCN_DATA_DIR: data } });
  }, 120_000);

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    if (a) removeDirs(a.dirs);
    rmSync(data, { recursive: true, force: true });
  });

  it('lists a dataset folder that is a symbolic link, with its splits', async () => {
    const { datasets } = ok(
      await a.gql<{
        datasets: { name: string; error: string | null; splits: { name: string; classCount: number }[] }[];
      }>('{ datasets { name error splits { name classCount } } }'),
    );
    const linked = datasets.find((d) => d.name === 'linked');
    expect(linked, JSON.stringify(datasets)).toBeDefined();
    expect(linked!.error).toBeNull();
    expect(linked!.splits.find((s) => s.name === 'val')?.classCount).toBeGreaterThan(0);
  });

  it('refuses startTraining whose validation split has fewer classes than way, naming the fix; no job', async () => {
    const r = await a.gql(START, { c: { ...TINY_TRAIN, dataset: 'six', way: 2, runId: 'six' } });
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    const message = r.errors![0].message;
    expect(message).toMatch(/validation split 'val' of six has 1 class, fewer than way = 2/);
    expect(message).toMatch(/splits\.json/);
    expect(message).toContain('`valSplit`');
    const { jobs } = ok(await a.gql<{ jobs: JobView[] }>(`{ jobs { ${JOB_FIELDS} } }`));
    expect(jobs).toEqual([]);
  });

  it("a second server on the same database leaves the first one's live job running", async () => {
    // Trains on the linked dataset: long enough to be running while the second server starts.
    const job = ok(
      await a.gql<{ startTraining: JobView }>(START, {
        c: { ...TINY_TRAIN, dataset: 'linked', episodes: 5000, valEvery: 5000, runId: 'live' },
      }),
    ).startTraining;
    await waitJob(a, job.id, (j) => (j.progress?.done ?? 0) >= 1 || finished(j));

    b = await startServer({ dirs: a.dirs, env: { RCN_DATA_DIR: data } });
    expect(b.log()).not.toMatch(/marked failed/);
    for (const s of [a, b]) {
      const seen = ok(await s.gql<{ job: JobView }>(`{ job(id: "${job.id}") { ${JOB_FIELDS} } }`)).job;
      expect(seen.status, JSON.stringify(seen)).toBe('running');
      expect(seen.error).toBeNull();
    }
    const status = () =>
      JSON.parse(readFileSync(join(a.dirs.runs, 'live', 'status.json'), 'utf8')) as { status: string };
    expect(status().status).toBe('running');
    // Only the server that runs it can stop it; the other one says where it runs.
    const elsewhere = await b.gql(`mutation { cancelJob(id: "${job.id}") { id } }`);
    expect(codeOf(elsewhere)).toBe('CONFLICT');
    expect(elsewhere.errors![0].message).toMatch(/runs in another API server .*pid \d+/);
    // Still alive and training; stopped by its own server, it ends cancelled (saved), not failed.
    const before = ok(await a.gql<{ job: JobView }>(`{ job(id: "${job.id}") { ${JOB_FIELDS} } }`)).job;
    await waitJob(a, job.id, (j) => (j.progress?.done ?? 0) > (before.progress?.done ?? 0) || finished(j));
    ok(await a.gql(`mutation { cancelJob(id: "${job.id}") { id } }`));
    const done = await waitJob(a, job.id, finished);
    expect(done.status, JSON.stringify(done)).toBe('cancelled');
    expect(status().status).toBe('interrupted');
  });
});
