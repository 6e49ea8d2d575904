/**
 * Checkpoint files over HTTP, read-only, for browsers that run the model themselves: a run's `best` and
 * the zoo's models byte for byte, with revalidation; the zoo listed; nothing but a checkpoint's own files,
 * and nothing outside the configured folders.
 */
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeDirs, startServer, tempDirs, type ServerProcess } from '@rcn/test-utils';
import { describeWithData } from './_data.js';
import { finished, trainTiny, waitJob } from './_helpers.js';

const RUN = 'served';

describeWithData('checkpoint files', () => {
  let s: ServerProcess;
  let best: string;
  let zoo: string;

  beforeAll(async () => {
    const dirs = tempDirs();
    zoo = join(dirs.root, 'zoo');
    mkdirSync(zoo, { recursive: true });
    s = await startServer({ dirs, env: { RCN_ZOO_DIR: zoo } });
    const job = await waitJob(s, (await trainTiny(s, RUN)).id, finished);
    expect(job.status, s.log()).toBe('finished');
    best = join(dirs.runs, RUN, 'checkpoints', 'best');
    cpSync(best, join(zoo, 'tiny-conv4'), { recursive: true });
    mkdirSync(join(zoo, 'notes'));
    writeFileSync(join(zoo, 'notes', 'README.md'), 'not a checkpoint');
    // A zoo entry that is a link to a folder outside the zoo: refused, not followed.
    symlinkSync(best, join(zoo, 'outside'));
  }, 120_000);

  afterAll(async () => {
    await s?.stop();
    if (s) removeDirs(s.dirs);
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${s.url}${path}`, { headers });

  it("serves a run's checkpoint files byte for byte, revalidated by ETag", async () => {
    for (const file of ['metadata.json', 'model.json', 'weights.bin']) {
      const res = await get(`/checkpoints/runs/${RUN}/best/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type')).toBe(
        file.endsWith('.json') ? 'application/json; charset=utf-8' : 'application/octet-stream',
      );
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(best, file)))).toBe(true);
      const again = await get(`/checkpoints/runs/${RUN}/best/${file}`, {
        'if-none-match': res.headers.get('etag')!,
      });
      expect(again.status).toBe(304);
    }
    // A bare run id is not a checkpoint reference here: the URL names best or latest.
    expect((await get(`/checkpoints/runs/${RUN}/latest/model.json`)).status).toBe(200);
  });

  it('lists the zoo and serves its models', async () => {
    const res = await get('/checkpoints/zoo/');
    const { models } = (await res.json()) as { models: { name: string; url: string; method: string }[] };
    expect(models.map((m) => m.name)).toEqual(['tiny-conv4']);
    expect(models[0]).toMatchObject({
      url: '/checkpoints/zoo/tiny-conv4/',
      method: 'rcn',
      dataset: 'tiny-imagenet-32',
    });
    const w = await get('/checkpoints/zoo/tiny-conv4/weights.bin');
    expect(Buffer.from(await w.arrayBuffer()).equals(readFileSync(join(best, 'weights.bin')))).toBe(true);
  });

  it("serves nothing but a checkpoint's own files, inside the configured folders", async () => {
    const refused = [
      [`/checkpoints/runs/${RUN}/best/optimizer.json`, 404],
      [`/checkpoints/runs/${RUN}/best/..%2F..%2Fconfig.json`, 404],
      [`/checkpoints/runs/${RUN}/nope/model.json`, 400],
      ['/checkpoints/runs/..%2F..%2Fetc/best/model.json', 403],
      ['/checkpoints/runs/missing/best/model.json', 404],
      ['/checkpoints/zoo/notes/README.md', 404],
      ['/checkpoints/zoo/outside/model.json', 403],
      ['/checkpoints/zoo/..%2Fruns/model.json', 404],
      ['/checkpoints/elsewhere', 404],
    ] as const;
    for (const [path, status] of refused) {
      const res = await get(path);
      expect(res.status, path).toBe(status);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.message, path).not.toContain(s.dirs.root);
    }
  });
});
