/**
 * End to end: the real API (with a checkpoint made by a tiny training run through `startTraining`), the
 * production build of the dashboard, and headless Chromium (Debian's, driven by playwright-core).
 * Screenshots go to test-artifacts/.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, CHROMIUM, DATASET, REPO_ROOT, dataDir, missing } from './_env';
import { TEST_TOKEN, startApi, startWeb, type ApiProc, type Proc } from './_servers';
import { publishZooModel } from '@rcn/core';

const reason = missing();
if (reason) {
  if (process.env.CI === 'true') throw new Error(`the dashboard's end-to-end tests need ${reason}`);
  console.warn(`skipping the dashboard's end-to-end tests: ${reason}`);
}
const describeE2E = reason ? describe.skip : describe;

const RUN_ID = 'web-e2e-tiny';
const ZOO_NAME = 'web-e2e-zoo';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface JobView {
  id: string;
  status: string;
  error: string | null;
}

async function waitJob(api: ApiProc, id: string, timeoutMs = 120_000): Promise<JobView> {
  const t0 = Date.now();
  for (;;) {
    const { job } = await api.gql<{ job: JobView }>('query ($id: ID!) { job(id: $id) { id status error } }', {
      id,
    });
    if (['finished', 'failed', 'cancelled'].includes(job.status)) return job;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms\n${api.log()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describeE2E('dashboard against the real API', () => {
  let api: ApiProc;
  let web: Proc;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  /** Full-page screenshot once every image has loaded. */
  const shot = async (name: string, p: Page = page) => {
    await p.waitForFunction(() => [...document.images].every((i) => i.complete), undefined, {
      timeout: 20_000,
    });
    await p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const t0 = Date.now();
    api = await startApi();
    // A real checkpoint: a tiny RCN training run (Conv4, 32 px, 5-way 1-shot) through the API's mutation.
    const { startTraining } = await api.gql<{ startTraining: JobView }>(
      'mutation ($c: TrainConfigInput!) { startTraining(config: $c) { id status error } }',
      {
        c: {
          dataset: DATASET,
          way: 5,
          shot: 1,
          query: 3,
          valQuery: 3,
          episodes: 8,
          valEvery: 4,
          valEpisodes: 2,
          workers: 1,
          runId: RUN_ID,
        },
      },
    );
    const [job, w] = await Promise.all([waitJob(api, startTraining.id), startWeb(api.url)]);
    web = w;
    expect(job.status, `${job.error}\n${api.log()}`).toBe('finished');
    // And an evaluation report of its best checkpoint, for the run page.
    const { evaluate } = await api.gql<{ evaluate: JobView }>(
      'mutation ($c: EvaluateInput!) { evaluate(checkpoint: "' +
        RUN_ID +
        '/best", config: $c) { id status error } }',
      {
        c: { dataset: DATASET, split: 'test', way: 5, shot: 1, query: 5, episodes: 10, seed: 0 },
      },
    );
    const evalJob = await waitJob(api, evaluate.id);
    expect(evalJob.status, `${evalJob.error}`).toBe('finished');
    // The run, tested, published into the API's zoo as the campaign publishes its models.
    await publishZooModel({
      runDir: join(api.runsDir, RUN_ID),
      name: ZOO_NAME,
      zooDir: api.zooDir,
      command: 'startTraining (web e2e)',
      dataDir: dataDir(),
      backend: 'wasm',
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    console.log(`[web e2e] API, training run and web server ready in ${Date.now() - t0} ms`);
  });

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await api?.stop();
    api?.cleanup();
  });

  it('overview shows the backend, datasets and the run', async () => {
    await page.goto(`${web.url}/`);
    await page
      .getByTestId('backend')
      .getByText('wasm')
      .or(page.getByTestId('backend').locator('.stat'))
      .first()
      .waitFor();
    await page.getByTestId('datasets').getByText(DATASET).waitFor();
    await page.getByTestId('recent-runs').getByText(RUN_ID).waitFor();
    await shot('overview');
    // First-load cost, for the record (production build, loopback).
    for (const path of ['/', '/explore', '/runs']) {
      const p = await browser.newPage();
      await p.goto(`${web.url}${path}`, { waitUntil: 'load' });
      const m = await p.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        const js = performance
          .getEntriesByType('resource')
          .filter((r) => r.name.endsWith('.js')) as PerformanceResourceTiming[];
        return {
          dcl: Math.round(nav.domContentLoadedEventEnd),
          jsKiB: Math.round(js.reduce((a, r) => a + r.encodedBodySize, 0) / 1024),
        };
      });
      console.log(
        `[web e2e] first load of ${path}: DOMContentLoaded ${m.dcl} ms, ${m.jsKiB} KiB of JS (compressed as served)`,
      );
      await p.close();
    }
  });

  it('runs page shows the run with its curves', async () => {
    await page.goto(`${web.url}/runs?compare=${RUN_ID}`);
    const table = page.getByTestId('runs-table');
    await table.getByText(RUN_ID).waitFor();
    await expect(table.getByText('finished').first().isVisible()).resolves.toBe(true);
    for (const chart of ['chart-accuracy', 'chart-loss', 'chart-lr']) {
      // recharts draws each series as an SVG path with class recharts-line-curve (a constant learning rate
      // is a flat line, which has no height: attached, not visible).
      await page
        .getByTestId(chart)
        .locator('path.recharts-line-curve')
        .first()
        .waitFor({ state: 'attached', timeout: 20_000 });
    }
    const curves = await page.getByTestId('chart-accuracy').locator('path.recharts-line-curve').count();
    expect(curves).toBeGreaterThanOrEqual(2); // train and validation accuracy
    // The validation CI band is drawn as an area.
    await page.getByTestId('chart-accuracy').locator('path.recharts-area-area').first().waitFor();
    await shot('runs');
  });

  it('run detail shows curves, checkpoints and the evaluation report', async () => {
    await page.goto(`${web.url}/runs/${RUN_ID}`);
    await page.getByRole('heading', { name: RUN_ID }).waitFor();
    await page.getByText('explore episodes').first().waitFor();
    await page.getByTestId('chart-accuracy').locator('path.recharts-line-curve').first().waitFor();
    const report = page.getByTestId('evaluation');
    await report.waitFor();
    expect(await report.locator('.stat').innerText()).toMatch(/^\d+\.\d ± \d+\.\d%$/);
    // Confusion matrix over the 40 test classes, with readable names on its rows.
    expect(await report.locator('table.cm tbody tr').count()).toBe(40);
    expect(await report.locator('table.cm tbody th').first().innerText()).toMatch(/[a-z]/);
    // The names come from the API's `Evaluation.classes`: no row is labelled with a bare WordNet id.
    const rowNames = await report.locator('table.cm tbody th').allInnerTexts();
    expect(rowNames.filter((n) => /^n\d{8}$/.test(n.trim()))).toEqual([]);
    await shot('run-detail');
  });

  it('run detail plots validation accuracy against minutes of training', async () => {
    await page.goto(`${web.url}/runs/${RUN_ID}`);
    const chart = page.getByTestId('chart-time-to-accuracy');
    await chart.locator('path.recharts-line-curve').first().waitFor({ state: 'attached', timeout: 20_000 });
    // One point per validation (episodes 4 and 8), placed by the run's recorded training time.
    expect(await chart.locator('.recharts-line-dot').count()).toBe(2);
    await page.getByText('Validation accuracy against minutes of training').waitFor();
  });

  it('model zoo: the card of a published model, and the model in the checkpoint picker', async () => {
    await page.goto(`${web.url}/zoo`);
    const card = page.getByTestId('zoo-model');
    await card.getByRole('heading', { name: ZOO_NAME }).waitFor();
    expect(await card.locator('tbody tr').first().innerText()).toMatch(
      /5-way 1-shot \(10 episodes\)\s+test\s+\d+\.\d ± \d+\.\d%/,
    );
    await card.getByText('startTraining (web e2e)').waitFor();
    await card
      .getByTestId('chart-episodes-to-accuracy')
      .locator('path.recharts-line-curve')
      .waitFor({ state: 'attached' });
    await card
      .getByTestId('chart-time-to-accuracy')
      .locator('path.recharts-line-curve')
      .waitFor({ state: 'attached' });
    await shot('zoo');
    // Every picker offers it beside the runs.
    await page.goto(`${web.url}/explore`);
    const option = page.locator(`#checkpoint optgroup[label="Model zoo"] option[value="zoo:${ZOO_NAME}"]`);
    await option.waitFor({ state: 'attached' });
    expect(await option.innerText()).toMatch(
      /zoo:web-e2e-zoo \(tiny-imagenet-32, trained 5w1s, test \d+\.\d%\)/,
    );
  });

  it('run page at 2,000 classes: paged per-class table, top confused pairs, the matrix as a canvas', async () => {
    // An evaluation report in the on-disk format `eval` writes, over 2,000 Omniglot-style classes.
    const n = 2000;
    const classes = Array.from(
      { length: n },
      (_v, i) => `Alphabet_${Math.floor(i / 40)}/character${String((i % 40) + 1).padStart(2, '0')}`,
    );
    const names = classes.map(
      (c) => `${c.replace('/', ', ').replace('_', ' ')}${c.endsWith('1') ? ', rotated 90°' : ''}`,
    );
    const matrix = classes.map((_c, i) => {
      const row = new Array<number>(n).fill(0);
      row[i] = 5 + (i % 4);
      row[(i * 7 + 1) % n] += i % 5;
      return row;
    });
    const perClass = classes.map((id, i) => {
      const total = matrix[i].reduce((a, b) => a + b, 0);
      return { id, name: names[i], correct: matrix[i][i], total, accuracy: matrix[i][i] / total };
    });
    const report = {
      checkpoint: 'x',
      method: 'rcn',
      dataset: 'omniglot',
      split: 'test',
      way: 20,
      shot: 1,
      query: 5,
      episodes: 600,
      seed: 0,
      accuracy: 0.8,
      ci95: 0.01,
      std: 0.1,
      loss: 0.01,
      perEpisode: [0.8],
      perClass,
      confusion: { classes, matrix },
      bnInference: 'batch',
      seconds: 1,
    };
    const file = join(api.runsDir, RUN_ID, 'evaluations', 'best-eval-2000-classes.json');
    writeFileSync(file, JSON.stringify(report));
    const p = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    p.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      const t0 = Date.now();
      await p.goto(`${web.url}/runs/${RUN_ID}`);
      // The run itself shows before (and apart from) its reports.
      await p.getByRole('heading', { name: RUN_ID }).waitFor();
      const tRun = Date.now() - t0;
      const big = p.getByTestId('evaluation').filter({ has: p.getByTestId('confusion-large') });
      const reportUsable = async () => {
        await big
          .getByRole('table', { name: 'Most confused pairs' })
          .locator('tbody tr')
          .first()
          .waitFor({ timeout: 60_000 });
        await big.getByTestId('per-class-page').waitFor();
      };
      await reportUsable();
      const tReport = Date.now() - t0;
      const gqlMs = await p.evaluate(() =>
        (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
          .filter((r) => r.name.includes('/graphql'))
          .map((r) => `${Math.round(r.duration)} ms/${Math.round(r.encodedBodySize / 1024)} KiB`)
          .join(', '),
      );
      // Again: the API now serves the parsed report from its cache (keyed by path, mtime and size).
      const t1 = Date.now();
      await p.reload();
      await reportUsable();
      const tReload = Date.now() - t1;
      console.log(
        `[web e2e] 2,000-class run page: run shown after ${tRun} ms, report usable after ${tReport} ms (report parsed), ${tReload} ms on reload (report cached); first load's GraphQL requests ${gqlMs} (for the record; loaded machine)`,
      );
      // Bounded DOM: one page of per-class rows and 20 pairs (the old page built millions of cells).
      expect(await p.evaluate(() => document.querySelectorAll('*').length)).toBeLessThan(5000);
      expect(await big.getByTestId('per-class').locator('tbody tr').count()).toBe(50);
      expect(await big.getByTestId('per-class-page').innerText()).toMatch(/page 1 of 40 · 2000 classes/);
      // The full matrix on request: one canvas of a pixel per cell.
      await big.getByRole('button', { name: 'Show the full matrix' }).click();
      await big.locator('canvas').waitFor({ timeout: 60_000 });
      expect(await big.locator('canvas').evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([
        n,
        n,
      ]);
      // Top confused pairs name the character and rotation, not just the alphabet.
      const pairs = big.getByRole('table', { name: 'Most confused pairs' });
      expect(await pairs.locator('tbody tr').count()).toBe(20);
      expect(await pairs.locator('tbody td').first().innerText()).toMatch(/^Alphabet \d+ #\d\d( ↻90°)?$/);
      // Search narrows the table to the matching classes.
      await big.getByLabel('Search classes').fill('Alphabet 7, character1');
      await big.getByText(/page 1 of 1 · 10 classes/).waitFor();
      expect(await big.getByTestId('per-class').locator('tbody tr').count()).toBe(10);
      const download = p.waitForEvent('download');
      await big.getByRole('button', { name: 'Download CSV' }).click();
      expect((await download).suggestedFilename()).toBe('confusion.csv');
      await shot('run-detail-2000-classes', p);
    } finally {
      await p.close();
      rmSync(file);
    }
  });

  it("explorer warns when the episode is not from the checkpoint's dataset", async () => {
    await page.goto(
      `${web.url}/explore?checkpoint=${encodeURIComponent(`${RUN_ID}/best`)}&dataset=omniglot&split=test`,
    );
    const warn = page.getByTestId('dataset-mismatch');
    await warn.waitFor();
    expect(await warn.innerText()).toMatch(
      new RegExp(`trained on ${DATASET}, but the episode is from omniglot`),
    );
    await warn.getByRole('button', { name: `Use ${DATASET}` }).click();
    await page.waitForURL(new RegExp(`dataset=${DATASET}`));
    await expect(page.getByTestId('dataset-mismatch').count()).resolves.toBe(0);
    // Without a dataset in the URL, the checkpoint's own dataset is the default.
    await page.goto(`${web.url}/explore?checkpoint=${encodeURIComponent(`${RUN_ID}/best`)}`);
    await page.getByTestId('support-set').locator('img').first().waitFor();
    expect(await page.getByLabel('Dataset').inputValue()).toBe(DATASET);
  });

  it('explorer shows predictions and a RAM for a real episode from the checkpoint', async () => {
    const q = new URLSearchParams({
      checkpoint: `${RUN_ID}/best`,
      dataset: DATASET,
      split: 'test',
      way: '5',
      shot: '1',
      query: '2',
      seed: '7',
      index: '0',
    });
    await page.goto(`${web.url}/explore?${q}`);
    // Readable class names in the support set.
    const support = page.getByTestId('support-set');
    await support.locator('img').first().waitFor();
    expect(await support.locator('img').count()).toBe(5);
    expect(await support.locator('h3').first().innerText()).toMatch(/^1\. [A-Za-z]/);
    // Each query: predicted class name, confidence and a right/wrong mark.
    const tile = page.getByTestId('query-0');
    await tile.locator('.mark').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid^="query-"] .mark').count()).toBe(10);
    const text = await tile.innerText();
    expect(text).toMatch(/[✓✗]/);
    expect(text).toMatch(/\d+%/);
    await expect(page.getByTestId('episode-accuracy').innerText()).resolves.toMatch(/\d+\/10/);
    // The RAM of query 0: one map per support, over the 5x5 region grid.
    await tile.click();
    const panel = page.getByTestId('ram-panel');
    await panel.waitFor();
    for (let s = 0; s < 5; s++)
      expect(await page.getByTestId(`ram-support-${s}`).locator('.heat-cell').count()).toBe(25);
    // Cells sit on the API's region geometry (tiles), not an even grid guessed by the page.
    await page.getByTestId('ram-support-0').locator('.heat-grid[data-geometry="api"]').waitFor();
    const colours = await page
      .getByTestId('ram-support-0')
      .locator('.heat-cell')
      .evaluateAll((cells) => new Set(cells.map((c) => getComputedStyle(c).backgroundColor)).size);
    expect(colours).toBeGreaterThan(1);
    // The API's `ram` for the predicted class's support answers (score and probability).
    await page.getByTestId('ram-summary').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('ram-summary').innerText()).toMatch(/Σ w·r = [\d.]+/);
    // Pointing at a support region highlights its best-matching query region.
    await page.getByTestId('ram-support-1').hover({ position: { x: 30, y: 80 } });
    await page
      .getByTestId('region-inspector')
      .getByText(/similarity r =/)
      .waitFor({ timeout: 30_000 });
    await page.getByTestId('ram-query').locator('.heat-box').waitFor();
    // ... and colours the query by that support region's similarity map (a row of the similarity matrix).
    const queryCells = page.getByTestId('ram-query').locator('.heat-cell');
    await queryCells.first().waitFor({ timeout: 30_000 });
    expect(await queryCells.count()).toBe(25);
    const simColours = await queryCells.evaluateAll(
      (cells) => new Set(cells.map((c) => getComputedStyle(c).backgroundColor)).size,
    );
    expect(simColours).toBeGreaterThan(1);
    expect(await page.getByTestId('similarity-map').locator('.heat-cell').count()).toBe(25);
    await page.getByTestId('similarity-legend').waitFor();
    await shot('explorer');
    // Keyboard: a support map takes focus and arrow keys move the inspected region.
    await page.mouse.move(0, 0);
    await page.getByTestId('ram-support-2').focus();
    await page.keyboard.press('ArrowRight');
    await page
      .getByTestId('region-inspector')
      .getByText(/Support 3/)
      .waitFor();
  });

  it('explorer opens a task of a fixed tasks file: predictions and RAMs', async () => {
    // A tasks file in the real format, in the run's folder: 5-way 1-shot, 2 queries per class, real images.
    const rows = readFileSync(join(dataDir(), DATASET, 'test.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    const byClass = new Map<string, string[]>();
    for (const r of rows) {
      const [f, c] = r.split(',');
      byClass.set(c, [...(byClass.get(c) ?? []), f]);
    }
    const classes = [...byClass.entries()].slice(0, 5).map(([c, files]) => ({ c, files: files.slice(0, 3) }));
    const dir = join(api.runsDir, RUN_ID, 'my-tasks');
    mkdirSync(join(dir, 'img'), { recursive: true });
    for (const { files } of classes)
      for (const f of files) copyFileSync(join(dataDir(), DATASET, 'images', f), join(dir, 'img', f));
    const episode = (id: string, shot: number) => ({
      id,
      support: classes.map(({ c, files }) => ({ path: `img/${files[shot]}`, label: c })),
      query: classes.flatMap(({ c, files }) =>
        files.filter((_f, i) => i !== shot).map((f) => ({ path: `img/${f}`, label: c })),
      ),
    });
    writeFileSync(
      join(dir, 'tasks.json'),
      JSON.stringify({ name: 'e2e tasks', episodes: [episode('first', 0), episode('second', 1)] }),
    );
    try {
      await page.goto(`${web.url}/explore?checkpoint=${encodeURIComponent(`${RUN_ID}/best`)}`);
      await page.getByRole('button', { name: 'Tasks file' }).click();
      await page.getByLabel('Tasks file', { exact: true }).fill('my-tasks/tasks.json');
      await page.getByLabel('In run (optional)').fill(RUN_ID);
      await page.getByRole('button', { name: 'Open file' }).click();
      await page.getByTestId('tasks-summary').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('tasks-summary').innerText()).toMatch(
        /e2e tasks · tasks file · 2 episodes/,
      );
      await page.getByLabel('Episode', { exact: true }).selectOption('second');
      await page.waitForURL(/task=second/);
      // The task's supports and queries, with the checkpoint's predictions.
      const support = page.getByTestId('support-set');
      await support.locator('img').first().waitFor({ timeout: 60_000 });
      expect(await support.locator('img').count()).toBe(5);
      expect(await support.locator('h3').first().innerText()).toBe(`1. ${classes[0].c}`);
      await page.getByTestId('query-0').locator('.mark').waitFor({ timeout: 60_000 });
      expect(await page.locator('[data-testid^="query-"] .mark').count()).toBe(10);
      await expect(page.getByTestId('episode-accuracy').innerText()).resolves.toMatch(/\d+\/10/);
      // Every image loads (the API renders them as the model sees them).
      await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
      // The RAMs of a query, from the task's own `taskRam`.
      await page.getByTestId('query-3').click();
      await page.getByTestId('ram-panel').waitFor();
      for (let s = 0; s < 5; s++)
        expect(await page.getByTestId(`ram-support-${s}`).locator('.heat-cell').count()).toBe(25);
      await page.getByTestId('ram-summary').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('ram-summary').innerText()).toMatch(/Σ w·r = [\d.]+/);
      await shot('explorer-task');
      // The URL opens the same task again.
      await page.reload();
      await page.getByTestId('query-0').locator('.mark').waitFor({ timeout: 60_000 });
      expect(await page.getByLabel('Episode', { exact: true }).inputValue()).toBe('second');
      // Its evaluation (an API job) is listed on the run page, each episode opening in the explorer.
      const { evaluateTasks } = await api.gql<{ evaluateTasks: JobView }>(
        `mutation { evaluateTasks(checkpoint: "${RUN_ID}/best", file: { path: "my-tasks/tasks.json", run: "${RUN_ID}" }) { id status error } }`,
      );
      expect((await waitJob(api, evaluateTasks.id)).status).toBe('finished');
      await page.goto(`${web.url}/runs/${RUN_ID}`);
      const report = page.getByTestId('task-evaluation');
      await report.waitFor({ timeout: 30_000 });
      expect(await report.innerText()).toMatch(/e2e tasks/);
      expect(await report.getByRole('table', { name: 'Episodes' }).locator('tbody tr').count()).toBe(2);
      await report
        .getByRole('row', { name: /second/ })
        .getByRole('link', { name: 'explore' })
        .click();
      await page.waitForURL(/\/explore\?.*task=second/);
      await page.getByTestId('query-0').locator('.mark').waitFor({ timeout: 60_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explorer on a phone-sized screen', async () => {
    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    try {
      await phone.goto(
        `${web.url}/explore?checkpoint=${encodeURIComponent(`${RUN_ID}/best`)}&dataset=${DATASET}&split=test&way=5&shot=1&query=2&seed=7&q=3`,
      );
      await phone.getByTestId('ram-panel').waitFor({ timeout: 60_000 });
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(1);
      await shot('explorer-phone', phone);
    } finally {
      await phone.close();
    }
  });

  it('prototypical parts: the gallery of a class from the API', async () => {
    await page.goto(`${web.url}/parts`);
    const section = page.getByTestId('parts');
    // The checkpoint picker defaults to the newest run's best checkpoint, the class to the first one.
    await section.getByTestId('parts-summary').waitFor({ timeout: 120_000 });
    const summary = await section.getByTestId('parts-summary').innerText();
    // Core's defaults (`@rcn/core/defaults`): 40 episodes of 5 queries of the class.
    expect(summary).toMatch(/40 5-way 1-shot episodes/);
    expect(summary).toMatch(/\d+\/200 of its queries classified correctly/);
    const parts = section.locator('[data-testid^="part-"]');
    const n = await parts.count();
    if (n === 0) await section.getByText(/No parts/).waitFor();
    else {
      expect(await parts.first().innerText()).toMatch(/decides \d+% of correct decisions/);
      const patches = parts.first().locator('.part-patch');
      expect(await patches.count()).toBeGreaterThan(0);
      // Each patch: the magnified patch, and its support image with the patch outlined.
      expect(await patches.first().locator('img').count()).toBe(2);
      await patches.first().locator('.heat-box').waitFor({ state: 'attached' });
    }
    // Core's gallery PNG, served by the API.
    await section.getByText('Gallery as one image').click();
    const gallery = section.getByTestId('parts-gallery');
    await gallery.waitFor();
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('[data-testid=parts-gallery]');
      return img !== null && img.complete && img.naturalWidth > 100;
    });
    await expect(section.getByTestId('parts-not-available').count()).resolves.toBe(0);
    await shot('parts');
  });

  it('logged out, starting a run points to Log in and says where `pnpm dev` wrote the token', async () => {
    await page.goto(`${web.url}/runs`);
    await page.getByText('Start a training run').click();
    const form = page.getByRole('form', { name: 'Start a training run' });
    await form.getByRole('button', { name: 'Start training' }).click();
    const alert = form.getByTestId('login-needed');
    await alert.waitFor({ timeout: 30_000 });
    const text = await alert.innerText();
    expect(text).toContain('.rcn/dev-token');
    expect(text).not.toMatch(/Bearer/);
    expect(await alert.getByRole('link', { name: 'Log in' }).getAttribute('href')).toBe('/login');
  });

  it('explorer opens a run by `?run=` (its best checkpoint), also through /explorer', async () => {
    await page.goto(`${web.url}/explorer?run=${RUN_ID}`);
    await page.waitForURL(/\/explore\?run=/);
    const tile = page.getByTestId('query-0');
    await tile.locator('.mark').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('episode-accuracy').innerText()).toMatch(/\d+\/\d+/);
  });

  it('logs in with the API token (mutations through the dashboard need it)', async () => {
    await page.goto(`${web.url}/login`);
    await page.getByLabel('API token').fill(TEST_TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('You are logged in.').waitFor({ timeout: 30_000 });
    // The session lives in an http-only cookie: page scripts cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('rcn_session');
  });

  it('try your own images: labelled supports and queries get predictions and RAMs', async () => {
    await page.goto(`${web.url}/try`);
    await page.getByRole('button', { name: /Fill with sample images/ }).click({ timeout: 30_000 });
    await page
      .getByRole('button', { name: 'Classify' })
      .and(page.locator(':enabled'))
      .waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Classify' }).click();
    const results = page.getByTestId('upload-results');
    await results.waitFor({ timeout: 60_000 });
    expect(await results.locator('.query-tile').count()).toBe(6);
    expect(await results.locator('.heat-cell').count()).toBeGreaterThan(0);
    await shot('try');
  });

  it('runs page: start a run from the form, watch its curves grow live, cancel it', async () => {
    await page.goto(`${web.url}/runs`);
    await page.getByText('Start a training run').click();
    const form = page.getByRole('form', { name: 'Start a training run' });
    const fill = async (label: string, value: string) => form.getByLabel(label, { exact: true }).fill(value);
    await fill('Queries / class', '3');
    await fill('Val queries / class', '3');
    await fill('Episodes', '2000');
    await fill('Validate every', '5');
    await fill('Val episodes', '2');
    await fill('Run id (optional)', 'web-e2e-live');
    await form.getByRole('button', { name: 'Start training' }).click();
    // The new run is selected for the curves; its row and its progress update by polling.
    const row = page.getByTestId('runs-table').locator('tr', { hasText: 'web-e2e-live' });
    await row.getByText('running').waitFor({ timeout: 30_000 });
    const episodes = async () => Number(/(\d+) \/ 2000/.exec(await row.innerText())?.[1] ?? -1);
    const first = await episodes();
    await page.waitForFunction(
      (n) => {
        const tr = [...document.querySelectorAll('[data-testid=runs-table] tr')].find((r) =>
          r.textContent?.includes('web-e2e-live'),
        );
        const m = /(\d+) \/ 2000/.exec(tr?.textContent ?? '');
        return m !== null && Number(m[1]) > Math.max(n, 5);
      },
      first,
      { timeout: 60_000 },
    );
    // A validation curve of at least two points (train points are logged more sparsely early on).
    await page
      .getByTestId('chart-accuracy')
      .locator('path.recharts-line-curve[d*="L"]')
      .first()
      .waitFor({ state: 'attached', timeout: 30_000 });
    await shot('runs-live');
    const jobRow = page.getByTestId('jobs-table').locator('tr', { hasText: 'web-e2e-live' });
    await jobRow.getByRole('button', { name: 'Cancel' }).click();
    await jobRow.getByText('cancelled').waitFor({ timeout: 30_000 });
    expect(await episodes()).toBeLessThan(2000);
  });

  it('sweeps page renders and says how to start one when the runs folder has none', async () => {
    await page.goto(`${web.url}/sweeps`);
    await page.getByRole('heading', { name: 'Sweeps', level: 1 }).waitFor();
    await page.getByText('No sweeps yet').waitFor();
    await expect(page.getByRole('link', { name: 'Sweeps' }).getAttribute('aria-current')).resolves.toBe(
      'page',
    );
  });

  it('sweeps page shows a sweep the CLI ran: progress, the table across seeds, exports', async () => {
    // A real sweep in the API's runs folder, run by the CLI's embedded engine: 2 methods x 2 seeds, tiny.
    const dir = join(api.runsDir, '..');
    writeFileSync(
      join(dir, 'e2e-sweep.yaml'),
      [
        'name: e2e-sweep',
        'base:',
        `  dataset: ${DATASET}`,
        '  backend: wasm',
        '  way: 3',
        '  query: 2',
        '  valQuery: 2',
        '  episodes: 4',
        '  valEvery: 4',
        '  valEpisodes: 2',
        '  model: { backbone: conv4, imageSize: 16 }',
        'grid:',
        '  method: [rcn, protonet]',
        'seeds: 2',
        'eval:',
        '  query: 3',
        '  episodes: 4',
        '',
      ].join('\n'),
    );
    const build = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'scripts', 'quiet-build.mjs'), '@rcn/cli...'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    );
    expect(build.status, build.stderr).toBe(0);
    const sweep = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, 'apps', 'cli', 'dist', 'main.js'),
        'sweep',
        join(dir, 'e2e-sweep.yaml'),
        '--runs-dir',
        api.runsDir,
        '--data-dir',
        dataDir(),
      ],
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, RCN_QUEUE: '' }, timeout: 240_000 },
    );
    expect(sweep.status, `${sweep.stdout}\n${sweep.stderr}`).toBe(0);

    await page.goto(`${web.url}/sweeps`);
    const section = page.getByRole('region', { name: 'e2e-sweep' });
    await section.getByText('4/4 cells done').waitFor({ timeout: 30_000 });
    const rows = section.locator('table').first().locator('tbody tr');
    expect(await rows.count()).toBe(2);
    for (const method of ['rcn', 'protonet']) {
      const row = rows.filter({ hasText: method });
      const cells = await row.locator('td').allTextContents();
      expect(cells[0]).toBe(method);
      expect(cells[1]).toBe('2/2');
      // Mean over the two seeds with its 95% CI across seeds.
      expect(cells[2]).toMatch(/\d+(\.\d+)?\s*%?\s*±\s*\d/);
    }
    await expect(section.getByRole('link', { name: 'CSV' }).getAttribute('download')).resolves.toBe(
      'e2e-sweep.csv',
    );
    const csv = decodeURIComponent(
      ((await section.getByRole('link', { name: 'CSV' }).getAttribute('href')) ?? '').replace(
        /^data:[^,]*,/,
        '',
      ),
    );
    expect(csv).toMatch(/rcn/);
    expect(csv).toMatch(/protonet/);
    await shot('sweeps');
  }, 300_000);

  it('no uncaught errors in the pages', () => {
    expect(pageErrors).toEqual([]);
  });
});
