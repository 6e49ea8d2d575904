/**
 * The try page's "on this device" mode, end to end: a real Omniglot checkpoint (a short training run
 * through the API), the production dashboard and headless Chromium. The same episode computed in the
 * browser (wasm; WebGPU where Chromium exposes an adapter) and by the API must agree: probabilities within
 * 1e-4, the maps (r_k, w_k, w_k r_k and the similarity matrices) within 1e-3. Uploaded images are
 * classified with no request leaving the browser. Times are logged for the README, never asserted.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, dataDir, missing } from './_env';
import { startApi, startWeb, type ApiProc, type Proc } from './_servers';

const OMNIGLOT = 'omniglot';
const reason =
  missing() ?? (existsSync(join(dataDir(), OMNIGLOT)) ? null : `${OMNIGLOT} not found in ${dataDir()}`);
if (reason) {
  if (process.env.CI === 'true') throw new Error(`the on-device end-to-end tests need ${reason}`);
  console.warn(`skipping the on-device end-to-end tests: ${reason}`);
}
const describeE2E = reason ? describe.skip : describe;

const RUN = 'device-e2e';
const EPISODE = { dataset: OMNIGLOT, split: 'test', way: 5, shot: 1, query: 2, seed: 4, index: 11 };
const EPISODE_ID = Object.values(EPISODE).join(':');

interface LocalJson {
  backend: { name: string; description: string };
  predictionsMs: number[];
  queries: {
    probabilities: number[];
    supports: {
      regionScores: number[];
      regionWeights: number[];
      contributions: number[];
      similarity: number[][];
    }[];
  }[];
}
interface ApiRam {
  regionScores: number[];
  regionWeights: number[];
  contributions: number[];
  similarity: number[][];
}

const maxDiff = (a: number[], b: number[]) => {
  expect(a.length).toBe(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function waitJob(api: ApiProc, id: string): Promise<{ status: string; error: string | null }> {
  for (const t0 = Date.now(); ;) {
    const { job } = await api.gql<{ job: { status: string; error: string | null } }>(
      'query ($id: ID!) { job(id: $id) { status error } }',
      { id },
    );
    if (['finished', 'failed', 'cancelled'].includes(job.status)) return job;
    if (Date.now() - t0 > 180_000) throw new Error(`training still ${job.status}\n${api.log()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describeE2E('the model on this device', () => {
  let api: ApiProc;
  let web: Proc;
  let browser: Browser;
  const pageErrors: string[] = [];
  let apiProbs: number[][];
  const apiRams = new Map<string, ApiRam>();

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    api = await startApi();
    const { startTraining } = await api.gql<{ startTraining: { id: string } }>(
      'mutation ($c: TrainConfigInput!) { startTraining(config: $c) { id } }',
      {
        c: {
          dataset: OMNIGLOT,
          way: 5,
          shot: 1,
          query: 5,
          valQuery: 3,
          episodes: 40,
          valEvery: 40,
          valEpisodes: 4,
          workers: 1,
          runId: RUN,
        },
      },
    );
    const [job, w] = await Promise.all([waitJob(api, startTraining.id), startWeb(api.url)]);
    web = w;
    expect(job.status, `${job.error}`).toBe('finished');
    // The server's answer for the episode: probabilities, then the maps of every (query, support) pair.
    const t0 = Date.now();
    const { prediction } = await api.gql<{ prediction: { queries: { probabilities: number[] }[] } }>(
      `query ($e: EpisodeInput!) { prediction(checkpoint: "${RUN}/best", episode: $e) { queries { probabilities } } }`,
      { e: EPISODE },
    );
    console.log(`[device e2e] API prediction of ${EPISODE_ID}: ${Date.now() - t0} ms (first request)`);
    apiProbs = prediction.queries.map((q) => q.probabilities);
    for (let q = 0; q < apiProbs.length; q++)
      for (let s = 0; s < EPISODE.way * EPISODE.shot; s++) {
        const { ram } = await api.gql<{ ram: ApiRam }>(
          `query ($e: EpisodeInput!) { ram(checkpoint: "${RUN}/best", episode: $e, query: ${q}, support: ${s}) {
            regionScores regionWeights contributions similarity } }`,
          { e: EPISODE },
        );
        apiRams.set(`${q}:${s}`, ram);
      }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await api?.stop();
    api?.cleanup();
  });

  /** The try page on this device with the episode loaded, and the requests it makes from now on. */
  async function openEpisode(
    backend: 'wasm' | 'webgpu',
    on: Browser = browser,
  ): Promise<{ page: Page; requests: string[] }> {
    const page = await on.newPage({ viewport: { width: 1366, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(
      `${web.url}/try?mode=device&checkpoint=${RUN}/best&backend=${backend}&episode=${encodeURIComponent(EPISODE_ID)}`,
    );
    await page
      .getByTestId('device-backend')
      .locator(`[data-backend="${backend}"]`)
      .waitFor({ timeout: 60_000 });
    await page.getByTestId('device-model-info').getByText('KiB loaded').waitFor({ timeout: 60_000 });
    await page
      .locator('#dq-h ~ .row .thumb')
      .nth(EPISODE.way * EPISODE.query - 1)
      .waitFor({ timeout: 30_000 });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    return { page, requests };
  }

  /** Classifies `runs` times; the numbers of the last run as the page's JSON link gives them. */
  async function classify(page: Page, runs: number): Promise<LocalJson> {
    for (let i = 0; i < runs; i++) {
      await page.getByTestId('device-classify').click();
      await page
        .getByTestId('device-classify')
        .getByText('Classify on this device')
        .waitFor({ timeout: 120_000 });
    }
    await page.getByTestId('device-results').waitFor();
    const href = await page.getByTestId('device-json').getAttribute('href');
    return page.evaluate(async (u) => (await fetch(u!)).json() as Promise<LocalJson>, href);
  }

  function compare(local: LocalJson, label: string): void {
    let p = 0;
    let ram = 0;
    local.queries.forEach((q, qi) => {
      p = Math.max(p, maxDiff(q.probabilities, apiProbs[qi]));
      q.supports.forEach((s, si) => {
        const a = apiRams.get(`${qi}:${si}`)!;
        ram = Math.max(
          ram,
          maxDiff(s.regionScores, a.regionScores),
          maxDiff(s.regionWeights, a.regionWeights),
          maxDiff(s.contributions, a.contributions),
          maxDiff(s.similarity.flat(), a.similarity.flat()),
        );
      });
    });
    console.log(
      `[device e2e] ${label} vs API: probabilities max |diff| ${p.toExponential(2)}, RAMs ${ram.toExponential(2)}`,
    );
    expect(local.queries).toHaveLength(apiProbs.length);
    expect(p).toBeLessThanOrEqual(1e-4);
    expect(ram).toBeLessThanOrEqual(1e-3);
  }

  it('computes the same episode as the API, on wasm, with no request for the computation', async () => {
    const { page, requests } = await openEpisode('wasm');
    const local = await classify(page, 6);
    expect(local.backend.name).toBe('wasm');
    expect(local.backend.description).toMatch(/SIMD/);
    compare(local, 'wasm');
    // The page shows the episode's images again (GET /images/..., from its cache) and reads its own
    // JSON link (blob:); nothing else, and nothing to the API's GraphQL, files or checkpoints.
    expect(requests.filter((r) => !/^GET (blob:|https?:\/\/[^/]+\/images\/)/.test(r))).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'try-device.png'), fullPage: true });
    // Per-episode time: the browser's later predictions against the API's for the same episode.
    const apiMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await api.gql(
        `query ($e: EpisodeInput!) { prediction(checkpoint: "${RUN}/best", episode: $e) { queries { probabilities } } }`,
        { e: EPISODE },
      );
      apiMs.push(performance.now() - t0);
    }
    console.log(
      `[device e2e] ${EPISODE_ID} (${EPISODE.way * (EPISODE.shot + EPISODE.query)} images), browser wasm: first ` +
        `${local.predictionsMs[0].toFixed(1)} ms, later median ${median(local.predictionsMs.slice(1)).toFixed(1)} ms; ` +
        `API prediction request: median ${median(apiMs).toFixed(1)} ms of ${apiMs.map((x) => x.toFixed(0)).join(', ')}`,
    );
    await page.close();
  });

  it('computes it on WebGPU too, where Chromium exposes an adapter', async (ctx) => {
    // Without a GPU, Chromium can still offer SwiftShader's WebGPU adapter (a CPU implementation, which
    // `auto` passes over for wasm, so the page names the backend): it runs tfjs-backend-webgpu's shaders.
    const gpu = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'],
    });
    try {
      const probe = await gpu.newPage();
      await probe.goto(`${web.url}/try`);
      const adapter = await probe.evaluate(async () => {
        type Info = { vendor?: string; architecture?: string };
        const g = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: Info } | null> } }).gpu;
        const a = g ? await g.requestAdapter() : null;
        return a ? `${a.info?.vendor ?? '?'} ${a.info?.architecture ?? '?'}` : null;
      });
      await probe.close();
      if (!adapter) {
        ctx.skip(
          "this Chromium exposes no WebGPU adapter, not even SwiftShader's: the wasm case above is the check",
        );
        return;
      }
      console.log(`[device e2e] WebGPU adapter: ${adapter}`);
      const { page, requests } = await openEpisode('webgpu', gpu);
      const local = await classify(page, 3);
      expect(local.backend.name).toBe('webgpu');
      compare(local, 'webgpu');
      expect(requests.filter((r) => !/^GET (blob:|https?:\/\/[^/]+\/images\/)/.test(r))).toEqual([]);
      console.log(
        `[device e2e] ${EPISODE_ID} on WebGPU (${local.backend.description}): first ${local.predictionsMs[0].toFixed(1)} ms, ` +
          `later median ${median(local.predictionsMs.slice(1)).toFixed(1)} ms`,
      );
    } finally {
      await gpu.close();
    }
  });

  it("classifies the user's own files with no request leaving the browser", async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${web.url}/try?mode=device&checkpoint=${RUN}/best&backend=wasm`);
    await page.getByTestId('device-model-info').getByText('KiB loaded').waitFor({ timeout: 60_000 });
    // Real images: the episode's dataset images, saved as files the way a user would have them.
    const { episode } = await api.gql<{
      episode: { support: { url: string }[]; queries: { url: string }[] };
    }>(
      `{ episode(dataset: "${OMNIGLOT}", split: "test", way: 2, shot: 1, query: 2, seed: 9, index: 1) {
          support { url } queries { url } } }`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'rcn-device-files-'));
    const save = async (url: string, name: string) => {
      const file = join(dir, name);
      writeFileSync(file, Buffer.from(await (await fetch(`${api.url}${url}`)).arrayBuffer()));
      return file;
    };
    const requests: string[] = [];
    page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    await page
      .getByTestId('device-support-files-0')
      .setInputFiles(await save(episode.support[0].url, 'a.png'));
    await page
      .getByTestId('device-support-files-1')
      .setInputFiles(await save(episode.support[1].url, 'b.png'));
    await page
      .getByTestId('device-query-files')
      .setInputFiles(await Promise.all(episode.queries.map((q, i) => save(q.url, `q${i}.png`))));
    await page.getByTestId('device-classify').click();
    await page.getByTestId('device-results').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator('[data-testid=device-results] .heat').count()).toBe(2);
    expect(await page.locator('[data-testid=device-results] .query-tile').count()).toBe(4);
    // Object URLs of the files are shown; nothing went over the network.
    expect(requests.filter((r) => !r.startsWith('GET blob:'))).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
    await page.close();
    expect(pageErrors).toEqual([]);
  });
});
