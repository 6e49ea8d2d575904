/**
 * Restarts: results live in the run directories and the database, so a new server on the same folders
 * still serves them; a job the old process was running (killed mid-training) is marked failed with a
 * reason, its run interrupted, and `resumeTraining` continues it from its latest checkpoint. A graceful
 * stop lets a running training save its checkpoint first.
 */
import { afterAll, expect, it } from 'vitest';
import { removeDirs, startServer, tempDirs, type ServerProcess } from '@rcn/test-utils';
import { describeWithData } from './_data.js';
import { finished, JOB_FIELDS, ok, trainTiny, waitJob, type JobView } from './_helpers.js';

describeWithData('server restart', () => {
  const dirs = tempDirs();
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop('SIGKILL');
    removeDirs(dirs);
  });

  it('keeps finished results, fails the interrupted job and resumes its run', async () => {
    const a = await startServer({ dirs });
    servers.push(a);
    const doneJob = await waitJob(a, (await trainTiny(a, 'done')).id, finished);
    expect(doneJob.status).toBe('finished');

    // A long run that validates (and so saves `latest`) every 2 episodes, killed with the server.
    const crashJob = await trainTiny(a, 'crash', { episodes: 100_000, valEvery: 2 });
    await waitJob(a, crashJob.id, (j) => (j.progress?.done ?? 0) >= 3 || finished(j));
    await a.stop('SIGKILL');

    const b = await startServer({ dirs });
    servers.push(b);
    expect(b.log()).toMatch(/unfinished when the server stopped: marked failed/);
    const r = ok(
      await b.gql<{
        done: JobView;
        crash: JobView;
        doneRun: { status: string; episode: number; metrics: unknown[]; checkpoints: unknown[] };
        crashRun: { status: string; error: string };
      }>(
        `{ done: job(id: "${doneJob.id}") { ${JOB_FIELDS} } crash: job(id: "${crashJob.id}") { ${JOB_FIELDS} }
           doneRun: run(id: "done") { status episode metrics { episode } checkpoints { ref } }
           crashRun: run(id: "crash") { status error } }`,
      ),
    );
    expect(r.done.status).toBe('finished');
    expect(r.doneRun).toMatchObject({ status: 'finished', episode: 4 });
    expect(r.doneRun.metrics.length).toBeGreaterThan(0);
    expect(r.doneRun.checkpoints).toHaveLength(2);
    expect(r.crash.status).toBe('failed');
    expect(r.crash.error).toMatch(/server stopped/);
    expect(r.crashRun.status).toBe('interrupted');

    const { resumeTraining } = ok(
      await b.gql<{ resumeTraining: JobView }>(
        `mutation { resumeTraining(runId: "crash", episodes: 6) { ${JOB_FIELDS} } }`,
      ),
    );
    const resumed = await waitJob(b, resumeTraining.id, finished);
    expect(resumed).toMatchObject({ status: 'finished', runId: 'crash' });
    const { run } = ok(
      await b.gql<{ run: { status: string; episode: number } }>('{ run(id: "crash") { status episode } }'),
    );
    expect(run).toMatchObject({ status: 'finished', episode: 6 });

    // A graceful stop (SIGTERM) mid-training: the trainer saves `latest` and the process exits with 0.
    const graceful = await trainTiny(b, 'graceful', { episodes: 100_000, valEvery: 100_000 });
    await waitJob(b, graceful.id, (j) => (j.progress?.done ?? 0) >= 2 || finished(j));
    await b.stop('SIGTERM');
    expect(b.child.exitCode).toBe(0);
    const c = await startServer({ dirs });
    servers.push(c);
    const g = ok(
      await c.gql<{
        job: JobView;
        run: { status: string; episode: number; checkpoints: { ref: string; episodes: number }[] };
      }>(
        `{ job(id: "${graceful.id}") { ${JOB_FIELDS} } run(id: "graceful") { status episode checkpoints { ref episodes } } }`,
      ),
    );
    expect(g.job.status).toBe('failed');
    expect(g.job.error).toMatch(/shut down/);
    expect(g.run.status).toBe('interrupted');
    expect(g.run.episode).toBeGreaterThanOrEqual(2);
    expect(g.run.checkpoints.find((k) => k.ref === 'graceful/latest')?.episodes).toBe(g.run.episode);
  }, 150_000);
});
