/**
 * The API through real HTTP against the built server: every query and mutation, a training job from start
 * to finished run, auth and limit rejections, and path traversal attempts.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { removeDirs, startServer, tempDirs, type ServerProcess } from '@rcn/test-utils';
import { DATASET, describeWithData } from './_data.js';
import { codeOf, finished, JOB_FIELDS, ok, trainTiny, waitJob, type JobView } from './_helpers.js';

const LIMITS = {
  maxDepth: 4,
  maxUploadImages: 6,
  maxUploadImageBytes: 64 * 1024,
  maxBodyBytes: 512 * 1024,
  maxQueuedJobs: 4,
};
const EPISODE = { dataset: DATASET, split: 'test', way: 5, shot: 1, query: 2, seed: 3, index: 1 };
const RUN = 'tiny';

describeWithData('GraphQL API', () => {
  let s: ServerProcess;
  let trainJob: JobView;

  beforeAll(async () => {
    const dirs = tempDirs();
    mkdirSync(dirs.root, { recursive: true });
    const configPath = join(dirs.root, 'api.json');
    writeFileSync(configPath, JSON.stringify({ limits: LIMITS }));
    s = await startServer({ dirs, env: { RCN_API_CONFIG: configPath } });
    const started = await trainTiny(s, RUN);
    expect(started.status).toMatch(/queued|running/);
    trainJob = await waitJob(s, started.id, finished);
  }, 120_000);

  afterAll(async () => {
    await s?.stop();
    if (s) removeDirs(s.dirs);
  });

  it('trains a run to the end through a job, with progress and a metric series', async () => {
    expect(trainJob).toMatchObject({ status: 'finished', runId: RUN, error: null });
    expect(trainJob.progress?.done).toBe(4);
    const { run } = ok(
      await s.gql<{
        run: {
          id: string;
          status: string;
          episode: number;
          totalEpisodes: number;
          config: { way: number };
          metrics: { type: string; episode: number; accuracy: number }[];
          checkpoints: { ref: string; episodes: number }[];
        };
      }>(
        `{ run(id: "${RUN}") { id status episode totalEpisodes config metrics { type episode accuracy loss lr } checkpoints { ref episodes model } } }`,
      ),
    );
    expect(run).toMatchObject({
      id: RUN,
      status: 'finished',
      episode: 4,
      totalEpisodes: 4,
      config: { way: 5 },
    });
    expect(JSON.stringify(run.config)).not.toContain('dataDir');
    expect(run.metrics.filter((m) => m.type === 'train').length).toBeGreaterThan(0);
    expect(run.metrics.filter((m) => m.type === 'val').map((m) => m.episode)).toEqual([2, 4]);
    expect(run.checkpoints.map((c) => c.ref).sort()).toEqual([`${RUN}/best`, `${RUN}/latest`]);
    const { runs, jobs } = ok(
      await s.gql<{ runs: { id: string }[]; jobs: { id: string }[] }>(
        '{ runs { id status } jobs(limit: 5) { id kind status } }',
      ),
    );
    expect(runs.map((r) => r.id)).toContain(RUN);
    expect(jobs.map((j) => j.id)).toContain(trainJob.id);
    expect(ok(await s.gql<{ run: null }>('{ run(id: "no-such-run") { id } }')).run).toBeNull();
  });

  it('reports the backend', async () => {
    const { backend } = ok(
      await s.gql<{ backend: { name: string; devices: string[]; adapter: { cpuFallback: boolean } | null } }>(
        '{ backend { name requested tfBackend version coreVersion devices adapter { description cpuFallback limits { maxStorageBufferBindingSize } } } }',
        {},
        null,
      ),
    );
    expect(['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu', 'webgpu']).toContain(backend.name);
    expect(backend.devices.length).toBeGreaterThan(0);
    // The adapter is reported exactly when WebGPU runs.
    expect(backend.adapter !== null).toBe(backend.name === 'webgpu');
  });

  it('lists datasets with splits, readable class names, counts and image URLs served as PNG', async () => {
    const { datasets } = ok(
      await s.gql<{ datasets: { id: string; splits: { name: string; classCount: number }[] }[] }>(
        '{ datasets { id format splits { name classCount imageCount } } }',
        {},
        null,
      ),
    );
    const tiny = datasets.find((d) => d.id === DATASET)!;
    expect(tiny.splits.map((x) => x.name)).toEqual(['train', 'val', 'test']);
    const { dataset } = ok(
      await s.gql<{
        dataset: { split: { imageWidth: number; classes: { name: string; imageCount: number }[] } };
      }>(
        `{ dataset(id: "${DATASET}") { split(name: "val") { imageWidth imageHeight channels classes(limit: 2) { id name imageCount } } } }`,
      ),
    );
    expect(dataset.split.imageWidth).toBe(32);
    expect(dataset.split.classes).toHaveLength(2);
    expect(dataset.split.classes[0].name).not.toMatch(/^n\d+$/);
    expect(dataset.split.classes[0].imageCount).toBeGreaterThan(0);
    const { episode } = ok(
      await s.gql<{ episode: { support: { url: string }[] } }>(
        `{ episode(dataset: "${DATASET}", split: "val", way: 2, shot: 1, query: 0) { support { url } } }`,
      ),
    );
    const url = episode.support[0].url;
    const res = await fetch(s.url + url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const etag = res.headers.get('etag')!;
    expect(etag).toBeTruthy();
    const again = await fetch(s.url + url, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(ok(await s.gql<{ dataset: null }>('{ dataset(id: "nope") { id } }')).dataset).toBeNull();
  });

  it('rebuilds the same episode from the same identity', async () => {
    const q = `{ episode(dataset: "${DATASET}", split: "test", way: 5, shot: 1, query: 2, seed: 3, index: 1) { id way classes { label id name } support { imageId label url } queries { imageId label } } }`;
    const a = ok(await s.gql<{ episode: { id: string; support: unknown[]; queries: unknown[] } }>(q));
    const b = ok(await s.gql(q));
    expect(a).toEqual(b);
    expect(a.episode.id).toBe(`${DATASET}:test:5:1:2:3:1`);
    expect(a.episode.support).toHaveLength(5);
    expect(a.episode.queries).toHaveLength(10);
  });

  it('predicts an episode: probabilities per query, region scores and weights per support', async () => {
    const { prediction } = ok(
      await s.gql<{
        prediction: {
          checkpoint: string;
          regions: number;
          accuracy: number;
          grid: {
            rows: number;
            cols: number;
            imageSize: number;
            rowCentres: number[];
            regions: { x: number; y: number; width: number; height: number }[];
          };
          queries: {
            probabilities: number[];
            predictedLabel: number;
            trueLabel: number;
            correct: boolean;
            supports: {
              regionScores: number[];
              regionWeights: number[];
              contributions: number[];
              label: number;
            }[];
          }[];
        };
      }>(
        `query ($e: EpisodeInput!) { prediction(checkpoint: "${RUN}/best", episode: $e) { checkpoint accuracy regions episode { id }
          grid { rows cols imageSize rowCentres colCentres receptiveField regions { x y width height } }
          queries { index imageId url trueLabel predictedLabel correct probabilities supports { index label imageId score regionScores regionWeights contributions } } } }`,
        { e: EPISODE },
        null,
      ),
    );
    expect(prediction.checkpoint).toBe(`${RUN}/best`);
    expect(prediction.regions).toBe(25);
    // Core's w_k r_k, sent as it computed them.
    for (const sup of prediction.queries[0].supports)
      sup.contributions.forEach((c, k) =>
        expect(c).toBeCloseTo(sup.regionScores[k] * sup.regionWeights[k], 4),
      );
    // Core's receptive-field geometry: the region tiles partition the 32 px image, centred on the cells.
    const g = prediction.grid;
    expect(g).toMatchObject({ rows: 5, cols: 5, imageSize: 32 });
    expect(g.regions).toHaveLength(25);
    expect(g.regions.reduce((a, b) => a + b.width * b.height, 0)).toBe(32 * 32);
    expect(g.regions[0]).toMatchObject({ x: 0, y: 0 });
    expect(g.regions[24].x + g.regions[24].width).toBe(32);
    // Valid convolutions shift the cells inwards: the first centre is not the stretched grid's 3.2.
    expect(g.rowCentres[0]).toBeGreaterThan(3.2);
    expect(prediction.queries).toHaveLength(10);
    for (const q of prediction.queries) {
      expect(q.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
      expect(q.correct).toBe(q.predictedLabel === q.trueLabel);
      expect(q.supports).toHaveLength(5);
      expect(q.supports[0].regionScores).toHaveLength(25);
      expect(q.supports[0].regionWeights).toHaveLength(25);
    }
  });

  it('computes a RAM with maps, PNG URLs (immutable) and best matches', async () => {
    const { ram } = ok(
      await s.gql<{
        ram: {
          regionScores: number[];
          regionWeights: number[];
          contributions: number[];
          score: number;
          urls: Record<string, string>;
          bestMatches: {
            supportRegion: number;
            queryRegion: number;
            similarity: number;
            contribution: number;
            supportBox: { x: number; y: number; width: number };
            queryBox: { x: number; y: number; width: number };
          }[];
          similarity: number[][];
          queryContributions: number[];
          share: number[];
          classScore: number;
          probability: number;
          supportLabel: number;
          grid: { rows: number; regions: { x: number; y: number; width: number }[] };
        };
      }>(
        `query ($e: EpisodeInput!) { ram(checkpoint: "${RUN}", episode: $e, query: 3, support: 1, top: 3) { checkpoint episodeId query support queryLabel supportLabel imageSize
          regionScores regionWeights contributions score probability urls { support query scores weights contributions queryContributions panel }
          similarity queryContributions classScore share grid { rows regions { x y width } }
          bestMatches { supportRegion queryRegion similarity weight contribution supportBox { x y width height } queryBox { x y width height } } } }`,
        { e: EPISODE },
      ),
    );
    expect(ram.regionScores).toHaveLength(25);
    ram.contributions.forEach((c, k) => expect(c).toBeCloseTo(ram.regionScores[k] * ram.regionWeights[k], 4));
    expect(ram.bestMatches).toHaveLength(3);
    expect(ram.bestMatches[0].contribution).toBeGreaterThanOrEqual(ram.bestMatches[2].contribution);
    expect(ram.bestMatches[0].supportBox.width).toBeGreaterThan(0);
    // The full similarity matrix: support region k (row) against every query region (column); each row's
    // max is that region's score r_k and sits at its best match.
    expect(ram.similarity).toHaveLength(25);
    ram.similarity.forEach((row, k) => {
      expect(row).toHaveLength(25);
      for (const v of row) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-5);
      expect(Math.max(...row)).toBeCloseTo(ram.regionScores[k], 4);
    });
    for (const m of ram.bestMatches) {
      expect(ram.similarity[m.supportRegion][m.queryRegion]).toBeCloseTo(m.similarity, 5);
      expect(m.supportBox).toMatchObject(ram.grid.regions[m.supportRegion]);
      expect(m.queryBox).toMatchObject(ram.grid.regions[m.queryRegion]);
    }
    expect(ram.queryContributions.reduce((a, b) => a + b, 0)).toBeCloseTo(ram.score, 4);
    // The explainer's forward pass is the prediction's: same probability for the support's class.
    const { prediction } = ok(
      await s.gql<{ prediction: { queries: { probabilities: number[] }[] } }>(
        `query ($e: EpisodeInput!) { prediction(checkpoint: "${RUN}/best", episode: $e) { queries { probabilities } } }`,
        { e: EPISODE },
      ),
    );
    expect(ram.probability).toBeCloseTo(prediction.queries[3].probabilities[ram.supportLabel], 4);
    // 1-shot: this support carries its whole class score.
    expect(ram.share.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
    expect(ram.classScore).toBeCloseTo(ram.score, 4);
    for (const url of Object.values(ram.urls)) {
      expect(url).toMatch(/^\/files\/[0-9a-f]{64}\.png$/);
      const res = await fetch(s.url + url);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toContain('immutable');
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    const bad = await s.gql(
      `query ($e: EpisodeInput!) { ram(checkpoint: "${RUN}", episode: $e, query: 99, support: 0) { score } }`,
      { e: EPISODE },
    );
    expect(codeOf(bad)).toBe('LIMIT_EXCEEDED');
    // The explainer compares every support region with every query region of the episode: bounded.
    const huge = await s.gql(
      `query ($e: EpisodeInput!) { ram(checkpoint: "${RUN}", episode: $e, query: 0, support: 0) { score } }`,
      { e: { ...EPISODE, way: 20, shot: 10, query: 20 } },
    );
    expect(codeOf(huge)).toBe('LIMIT_EXCEEDED');
    expect(huge.errors?.[0].extensions?.field).toBe('episode');
  });

  it('computes prototypical parts of a class in a worker, with PNGs, and caches them on disk', async () => {
    const { episode } = ok(
      await s.gql<{ episode: { classes: { id: string; name: string }[] } }>(
        `{ episode(dataset: "${DATASET}", split: "test", way: 5, shot: 1, query: 0) { classes { id name } } }`,
      ),
    );
    const cls = episode.classes[0];
    interface PartsView {
      prototypicalParts: {
        checkpoint: string;
        classId: string;
        className: string;
        episodes: number;
        queries: number;
        correctDecisions: number;
        galleryUrl: string;
        cached: boolean;
        grid: { rows: number; regions: { width: number }[] };
        parts: {
          index: number;
          decisions: number;
          frequency: number;
          members: number;
          patches: { imageUrl: string; patchUrl: string; region: number; share: number }[];
        }[];
      };
    }
    // (This server's depth limit is 4, so the patches' boxes, at depth 5, are not asked for here.)
    const q = `query ($c: String!) { prototypicalParts(checkpoint: "${RUN}/best", class: $c, episodes: 6, query: 3, parts: 2, patchesPerPart: 3) {
      checkpoint classId className episodes queries correctDecisions galleryUrl cached seconds createdAt grid { rows regions { width } }
      parts { index decisions frequency members meanContribution patches { episode imageId imageUrl patchUrl region contribution share } } } }`;
    const t0 = Date.now();
    const first = ok(await s.gql<PartsView>(q, { c: cls.id })).prototypicalParts;
    const coldMs = Date.now() - t0;
    expect(first).toMatchObject({
      checkpoint: `${RUN}/best`,
      classId: cls.id,
      className: cls.name,
      episodes: 6,
    });
    expect(first.cached).toBe(false);
    expect(first.queries).toBe(6 * 3);
    expect(first.correctDecisions).toBeLessThanOrEqual(first.queries);
    expect(first.grid.regions).toHaveLength(25);
    expect(first.parts.length).toBeLessThanOrEqual(2);
    if (first.correctDecisions > 0) expect(first.parts.length).toBeGreaterThan(0);
    for (const part of first.parts) {
      expect(part.frequency).toBeGreaterThan(0);
      expect(part.frequency).toBeLessThanOrEqual(1);
      expect(part.decisions).toBeLessThanOrEqual(first.correctDecisions);
      expect(part.patches.length).toBeGreaterThan(0);
      expect(part.patches.length).toBeLessThanOrEqual(3);
      for (const p of part.patches) {
        expect(p.region).toBeGreaterThanOrEqual(0);
        expect(p.region).toBeLessThan(25);
        expect(p.imageUrl).toMatch(/^\/images\//);
        expect(p.patchUrl).toMatch(/^\/files\/[0-9a-f]{64}\.png$/);
      }
    }
    for (const url of [first.galleryUrl, ...first.parts.flatMap((p) => p.patches.map((x) => x.patchUrl))]) {
      const res = await fetch(s.url + url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
    }
    if (first.parts[0]) expect((await fetch(s.url + first.parts[0].patches[0].imageUrl)).status).toBe(200);
    // The same question again (by readable name this time) is answered from the disk cache.
    const t1 = Date.now();
    const second = ok(await s.gql<PartsView>(q, { c: cls.name })).prototypicalParts;
    expect(second.cached).toBe(true);
    expect({ ...second, cached: false }).toEqual(first);
    expect(Date.now() - t1).toBeLessThan(Math.max(2000, coldMs));
    const cacheFiles = readdirSync(join(s.dirs.runs, '.rcn-api-cache', 'parts')).filter((f) =>
      f.endsWith('.json'),
    );
    expect(cacheFiles).toHaveLength(1);
    // Bounds and names.
    const over = await s.gql(
      `{ prototypicalParts(checkpoint: "${RUN}/best", class: "${cls.id}", episodes: 100000) { classId } }`,
    );
    expect(codeOf(over)).toBe('LIMIT_EXCEEDED');
    const unknown = await s.gql(
      `{ prototypicalParts(checkpoint: "${RUN}/best", class: "n00000000") { classId } }`,
    );
    expect(codeOf(unknown)).toBe('NOT_FOUND');
    const escape = await s.gql(
      `{ prototypicalParts(checkpoint: "../x/best", class: "${cls.id}") { classId } }`,
    );
    expect(codeOf(escape)).toBe('FORBIDDEN_PATH');
  });

  /** Two images of each of two classes, as base64 PNG, fetched through the image route. */
  async function datasetImagesBase64(): Promise<{ data: string }[]> {
    const { episode } = ok(
      await s.gql<{ episode: { support: { url: string }[] } }>(
        `{ episode(dataset: "${DATASET}", split: "test", way: 2, shot: 2, query: 0, seed: 9) { support { url } } }`,
      ),
    );
    const out: { data: string }[] = [];
    for (const im of episode.support)
      out.push({ data: Buffer.from(await (await fetch(s.url + im.url)).arrayBuffer()).toString('base64') });
    return out;
  }

  it('predicts on uploaded, labelled images', async () => {
    const imgs = await datasetImagesBase64();
    const [a0, a1, b0, b1] = imgs;
    const { predict } = ok(
      await s.gql<{
        predict: {
          classes: string[];
          way: number;
          shot: number;
          regions: number;
          grid: { rows: number; cols: number; imageSize: number; regions: unknown[] };
          queries: {
            probabilities: number[];
            predictedClass: string;
            trueClass: string;
            correct: boolean;
            supports: unknown[];
          }[];
        };
      }>(
        `mutation ($c: ID!, $s: [LabelledImageInput!]!, $q: [ImageInput!]!) { predict(checkpoint: $c, supports: $s, queries: $q) {
          checkpoint classes way shot regions grid { rows cols imageSize regions { x y width height } } queries { index probabilities predictedLabel predictedClass trueClass correct supports { index label score regionScores regionWeights } } } }`,
        {
          c: `${RUN}/latest`,
          s: [
            { label: 'A', data: a0.data },
            { label: 'B', data: `data:image/png;base64,${b0.data}` },
          ],
          q: [{ data: a1.data, label: 'A' }, { data: b1.data }],
        },
      ),
    );
    expect(predict).toMatchObject({ classes: ['A', 'B'], way: 2, shot: 1, regions: 25 });
    expect(predict.grid).toMatchObject({ rows: 5, cols: 5, imageSize: 32 });
    expect(predict.grid.regions).toHaveLength(25);
    expect(predict.queries).toHaveLength(2);
    expect(predict.queries[0].probabilities.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 3);
    expect(predict.queries[0].trueClass).toBe('A');
    expect(predict.queries[1].correct).toBeNull();
    expect(predict.queries[0].supports).toHaveLength(2);

    const upload = (sup: { label: string; data: string }[], q: { data: string }[]) =>
      s.gql(
        `mutation ($s: [LabelledImageInput!]!, $q: [ImageInput!]!) { predict(checkpoint: "${RUN}", supports: $s, queries: $q) { way } }`,
        { s: sup, q },
      );
    // Too many images, an image over the byte limit, data that is not an image, uneven shots.
    expect(
      codeOf(
        await upload(
          [...Array(6)].map((_, i) => ({ label: `c${i % 2}`, data: a0.data })),
          [{ data: a1.data }],
        ),
      ),
    ).toBe('LIMIT_EXCEEDED');
    expect(
      codeOf(
        await upload(
          [
            { label: 'A', data: 'A'.repeat(100_000) },
            { label: 'B', data: b0.data },
          ],
          [{ data: a1.data }],
        ),
      ),
    ).toBe('PAYLOAD_TOO_LARGE');
    expect(
      codeOf(
        await upload(
          [
            { label: 'A', data: Buffer.from('not an image at all').toString('base64') },
            { label: 'B', data: b0.data },
          ],
          [{ data: a1.data }],
        ),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      codeOf(
        await upload(
          [
            { label: 'A', data: '%%%' },
            { label: 'B', data: b0.data },
          ],
          [{ data: a1.data }],
        ),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      codeOf(
        await upload(
          [
            { label: 'A', data: a0.data },
            { label: 'A', data: a1.data },
            { label: 'B', data: b0.data },
          ],
          [{ data: a1.data }],
        ),
      ),
    ).toBe('BAD_USER_INPUT');
  });

  it('evaluates a checkpoint in a job and lists the report under the run', async () => {
    const { evaluate } = ok(
      await s.gql<{ evaluate: JobView }>(
        `mutation { evaluate(checkpoint: "${RUN}/best", config: { dataset: "${DATASET}", split: "test", way: 5, shot: 1, query: 3, episodes: 3, seed: 7 }) { ${JOB_FIELDS} } }`,
      ),
    );
    const done = await waitJob(s, evaluate.id, finished);
    expect(done.status).toBe('finished');
    const { job } = ok(
      await s.gql<{
        job: {
          evaluation: {
            name: string;
            accuracy: number;
            episodes: number;
            perClass: unknown[];
            checkpoint: string;
            confusion: { classes: string[]; matrix: number[][] };
            classes: { index: number; id: string; name: string }[];
          };
        };
      }>(
        `{ job(id: "${evaluate.id}") { evaluation { name checkpoint accuracy ci95 episodes perClass { id name accuracy } confusion classes { index id name } } } }`,
      ),
    );
    expect(job.evaluation).toMatchObject({ episodes: 3, checkpoint: `${RUN}/best` });
    expect(job.evaluation.accuracy).toBeGreaterThanOrEqual(0);
    expect(job.evaluation.perClass.length).toBeGreaterThan(0);
    // The confusion matrix's classes with readable names, in its order.
    const { confusion, classes } = job.evaluation;
    expect(classes.map((c) => c.id)).toEqual(confusion.classes);
    expect(classes.map((c) => c.index)).toEqual(confusion.classes.map((_c, i) => i));
    expect(classes.every((c) => c.name && !/^n\d+$/.test(c.name))).toBe(true);
    const { run } = ok(
      await s.gql<{
        run: {
          evaluations: {
            name: string;
            classCount: number;
            small: unknown;
            confusionPairs: { trueIndex: number; predictedIndex: number; count: number; share: number }[];
          }[];
        };
      }>(
        `{ run(id: "${RUN}") { evaluations { name accuracy classCount small: confusion(maxClasses: 1) confusionPairs(limit: 3) { trueIndex predictedIndex count share } } } }`,
      ),
    );
    expect(run.evaluations.length).toBeGreaterThanOrEqual(1);
    // Large matrices only on request: counts and the most confused pairs instead.
    const mine = run.evaluations.find((e) => e.name === job.evaluation.name)!;
    expect(mine.classCount).toBe(confusion.classes.length);
    expect(mine.small).toBeNull();
    const offDiagonal = confusion.matrix.flatMap((row, i) =>
      row.map((count, j) => ({ i, j, count })).filter((c) => c.i !== c.j && c.count > 0),
    );
    expect(mine.confusionPairs.length).toBe(Math.min(3, offDiagonal.length));
    for (const p of mine.confusionPairs)
      expect(confusion.matrix[p.trueIndex][p.predictedIndex]).toBe(p.count);
    const byName = ok(
      await s.gql<{ run: { evaluations: { name: string }[] } }>(
        `{ run(id: "${RUN}") { evaluations(name: ${JSON.stringify(mine.name)}) { name } } }`,
      ),
    );
    expect(byName.run.evaluations.map((e) => e.name)).toEqual([mine.name]);
  });

  it('streams job updates over graphql-ws until the job ends; only subscriptions go over the socket', async () => {
    const { evaluate } = ok(
      await s.gql<{ evaluate: JobView }>(
        `mutation { evaluate(checkpoint: "${RUN}/latest", config: { dataset: "${DATASET}", split: "val", way: 5, shot: 1, query: 3, episodes: 12, seed: 1 }) { id } }`,
      ),
    );
    const client = createClient({
      url: s.url.replace('http', 'ws') + '/graphql',
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    try {
      const updates: JobView[] = [];
      await new Promise<void>((resolve, reject) => {
        client.subscribe<{ job: JobView }>(
          {
            query: `subscription ($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`,
            variables: { id: evaluate.id },
          },
          {
            next: (m) => (m.data ? updates.push(m.data.job) : reject(new Error(JSON.stringify(m.errors)))),
            error: reject,
            complete: resolve,
          },
        );
      });
      expect(updates.length).toBeGreaterThan(0);
      expect(updates.at(-1)!.status).toBe('finished');
      const rejected = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: `mutation { cancelJob(id: "${evaluate.id}") { id } }` },
          { next: () => resolve(null), error: resolve, complete: () => resolve(null) },
        );
      });
      expect(JSON.stringify(rejected)).toMatch(/only subscriptions/);
    } finally {
      await client.dispose();
    }
  });

  it('cancels a running training job; the run keeps its checkpoint and is marked interrupted', async () => {
    const job = await trainTiny(s, 'long', { episodes: 100_000, valEvery: 100_000 });
    await waitJob(s, job.id, (j) => (j.progress?.done ?? 0) >= 1 || finished(j));
    const { cancelJob } = ok(
      await s.gql<{ cancelJob: JobView }>(`mutation { cancelJob(id: "${job.id}") { ${JOB_FIELDS} } }`),
    );
    expect(cancelJob.id).toBe(job.id);
    const done = await waitJob(s, job.id, finished);
    expect(done.status).toBe('cancelled');
    const { run } = ok(
      await s.gql<{ run: { status: string; checkpoints: { ref: string }[] } }>(
        '{ run(id: "long") { status checkpoints { ref } } }',
      ),
    );
    expect(run.status).toBe('interrupted');
    expect(run.checkpoints.map((c) => c.ref)).toContain('long/latest');
    expect(codeOf(await s.gql('mutation { cancelJob(id: "no-such-job") { id } }'))).toBe('NOT_FOUND');
  });

  it('refuses mutations without the token (queries stay public)', async () => {
    for (const token of [null, 'wrong-token-0000000000000']) {
      const r = await s.gql(
        `mutation { startTraining(config: { dataset: "${DATASET}" }) { id } }`,
        {},
        token,
      );
      expect(r.status).toBe(401);
      expect(codeOf(r)).toBe('UNAUTHENTICATED');
    }
    expect(ok(await s.gql('{ runs { id } }', {}, null))).toBeTruthy();
  });

  it('enforces bounds on way, shot, query, episodes and job inputs', async () => {
    const ep = (args: string) => s.gql(`{ episode(dataset: "${DATASET}", split: "test", ${args}) { id } }`);
    expect(codeOf(await ep('way: 21, shot: 1, query: 1'))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(await ep('way: 5, shot: 11, query: 1'))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(await ep('way: 5, shot: 1, query: 21'))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(await ep('way: 0, shot: 1, query: 1'))).toBe('BAD_USER_INPUT');
    expect(codeOf(await ep('way: 5, shot: 1, query: 1, index: -1'))).toBe('BAD_USER_INPUT');
    expect(codeOf(await ep('way: 5, shot: 1, query: 1, index: 2000000'))).toBe('LIMIT_EXCEEDED');
    // The limits themselves are allowed.
    expect(codeOf(await ep('way: 20, shot: 10, query: 20'))).toBeUndefined();
    const train = (c: string) =>
      s.gql(`mutation { startTraining(config: { dataset: "${DATASET}", ${c} }) { id } }`);
    expect(codeOf(await train('episodes: 10000000'))).toBe('LIMIT_EXCEEDED');
    expect(codeOf(await train('method: "magic"'))).toBe('BAD_USER_INPUT');
    expect(codeOf(await train('workers: 99'))).toBe('LIMIT_EXCEEDED');
    // graphql-js fills a default only for an absent field: an explicit null reaches the resolver, refused by name.
    const nulled = await train('augment: null');
    expect(codeOf(nulled)).toBe('BAD_USER_INPUT');
    expect(nulled.errors?.[0].message).toMatch(/^augment must not be null/);
    expect(codeOf(await train(`runId: "${RUN}"`))).toBe('CONFLICT');
    expect(
      codeOf(
        await s.gql(
          `mutation { evaluate(checkpoint: "${RUN}", config: { dataset: "${DATASET}", episodes: 1000000 }) { id } }`,
        ),
      ),
    ).toBe('LIMIT_EXCEEDED');
    expect(
      codeOf(
        await s.gql(
          `mutation { evaluate(checkpoint: "${RUN}", config: { dataset: "${DATASET}", split: "nope" }) { id } }`,
        ),
      ),
    ).toBe('BAD_USER_INPUT');
  });

  it('rejects queries that are too deep or too costly', async () => {
    const deep = await s.gql(`{ jobs(limit: 1) { run { evaluations { perClass { id } } } } }`);
    expect(deep.status).toBe(400);
    expect(codeOf(deep)).toBe('QUERY_TOO_DEEP');
    const costly = await s.gql(`{ datasets { splits { classes(limit: 1000) { id name imageCount } } } }`);
    expect(codeOf(costly)).toBe('QUERY_TOO_COSTLY');
    expect(
      codeOf(
        await s.gql(
          `{ dataset(id: "${DATASET}") { split(name: "test") { classes(limit: 100000) { id } } } }`,
        ),
      ),
    ).toBe('QUERY_TOO_COSTLY');
    expect(
      codeOf(
        await s.gql(`{ dataset(id: "${DATASET}") { split(name: "test") { classes(limit: 5000) { id } } } }`),
      ),
    ).toBe('LIMIT_EXCEEDED');
  });

  it('resolves datasets and checkpoints only inside the configured folders', async () => {
    const pred = (ck: string) =>
      s.gql(
        `query ($e: EpisodeInput!) { prediction(checkpoint: ${JSON.stringify(ck)}, episode: $e) { accuracy } }`,
        { e: EPISODE },
      );
    for (const ck of [
      '../tiny/best',
      `${RUN}/../../etc`,
      '/etc/passwd',
      '..',
      `${RUN}/best/../latest`,
      '..\\..\\x',
      '.hidden/best',
    ]) {
      expect(codeOf(await pred(ck)), ck).toBe('FORBIDDEN_PATH');
    }
    expect(codeOf(await pred(`${RUN}/weights`))).toBe('BAD_USER_INPUT');
    expect(codeOf(await pred('no-such-run/best'))).toBe('NOT_FOUND');
    expect(codeOf(await s.gql('{ run(id: "../../etc") { id } }'))).toBe('FORBIDDEN_PATH');
    // A run directory that is a symlink to a folder outside the runs folder.
    const outside = mkdtempSync(join(tmpdir(), 'rcn-outside-'));
    try {
      mkdirSync(join(outside, 'checkpoints', 'best'), { recursive: true });
      writeFileSync(join(outside, 'config.json'), '{}');
      writeFileSync(join(outside, 'checkpoints', 'best', 'model.json'), '{}');
      symlinkSync(outside, join(s.dirs.runs, 'escape'));
      expect(codeOf(await pred('escape/best'))).toBe('FORBIDDEN_PATH');
    } finally {
      rmSync(join(s.dirs.runs, 'escape'), { force: true });
      rmSync(outside, { recursive: true, force: true });
    }
    const ep = (dataset: string, split: string) =>
      s.gql(
        `{ episode(dataset: ${JSON.stringify(dataset)}, split: ${JSON.stringify(split)}, way: 2, shot: 1, query: 1) { id } }`,
      );
    expect(codeOf(await ep('../../etc', 'train'))).toBe('NOT_FOUND');
    expect(codeOf(await ep('/work', 'train'))).toBe('NOT_FOUND');
    expect(codeOf(await ep(DATASET, '../train'))).toBe('BAD_USER_INPUT');
    for (const path of [
      `/images/${DATASET}/test/..%2F..%2F..%2Fetc%2Fpasswd.png`,
      '/images/..%2F..%2Fetc/test/x.png',
      '/files/..%2F..%2Fapi.sqlite',
      '/files/../api.sqlite',
    ]) {
      const res = await fetch(s.url + path);
      expect(res.status, path).toBe(404);
    }
  });

  it('answers malformed requests with coded errors and keeps serving', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${s.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const bad = await post('{not json');
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code,
    ).toBe('BAD_REQUEST');
    const big = await post(
      JSON.stringify({ query: `{ runs { id } }`, variables: { pad: 'x'.repeat(600 * 1024) } }),
    );
    expect(big.status).toBe(413);
    expect(
      ((await big.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code,
    ).toBe('PAYLOAD_TOO_LARGE');
    expect(codeOf(await s.gql('{ nope }'))).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(codeOf(await s.gql('{ episode(dataset: 1) { id } }'))).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(
      codeOf(
        await s.gql(
          'query ($w: Int!) { episode(dataset: "x", split: "y", way: $w, shot: 1, query: 1) { id } }',
          { w: 'five' },
        ),
      ),
    ).toBe('BAD_USER_INPUT');
    expect((await fetch(`${s.url}/nope`)).status).toBe(404);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    expect(ok(await s.gql('{ backend { name } }')).backend).toBeTruthy();
  });
});
