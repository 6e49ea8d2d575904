/**
 * `pnpm cli export-demo` end to end: a real Omniglot checkpoint (a short `pnpm cli train`), exported as
 * a static folder, served by a plain static file server (no API, no Node code of ours, no special
 * headers), and used in headless Chromium: the example episode classified on the page with its region
 * maps, the dataset credited, nothing fetched from anywhere else, the same answer on every cold load.
 * Logs the demo's download (raw, gzip and brotli) and the time to the first prediction, for the README;
 * nothing is asserted about either.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, dataDir, missing } from './_env';

const reason =
  missing() ?? (existsSync(join(dataDir(), 'omniglot')) ? null : `omniglot not found in ${dataDir()}`);
if (reason) {
  if (process.env.CI === 'true') throw new Error(`the static demo's end-to-end test needs ${reason}`);
  console.warn(`skipping the static demo's end-to-end test: ${reason}`);
}
const describeE2E = reason ? describe.skip : describe;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

/** Files of `root` by path, as any static host serves them; records what was served. */
function staticServer(root: string, served: string[]): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (path.endsWith('/')) path += 'index.html';
    const file = join(root, path);
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    served.push(path);
    res
      .writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' })
      .end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` }),
    ),
  );
}

describeE2E('the static demo', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'rcn-demo-e2e-'));
  const site = join(tmp, 'site');
  let browser: Browser;
  let http: { server: Server; url: string };
  const served: string[] = [];

  beforeAll(() => {
    // The CLI, with the demo page it ships (turbo builds the dashboard's build:demo first).
    execFileSync(process.execPath, ['scripts/quiet-build.mjs', '@rcn/cli...'], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    });
    const cli = (...args: string[]) =>
      execFileSync(process.execPath, [join(REPO_ROOT, 'apps', 'cli', 'dist', 'main.js'), ...args], {
        cwd: REPO_ROOT,
        env: { ...process.env, RCN_DATA_DIR: dataDir(), RCN_BACKEND: 'wasm' },
        encoding: 'utf8',
      });
    cli(
      'train',
      ...[
        '--dataset',
        'omniglot',
        '--episodes',
        '30',
        '--query',
        '5',
        '--val-every',
        '30',
        '--val-episodes',
        '4',
      ],
      ...['--runs-dir', join(tmp, 'runs'), '--run-id', 'demo'],
    );
    console.log(
      cli('export-demo', '--checkpoint', join(tmp, 'runs', 'demo'), '--out', site, '--episodes', '2').trim(),
    );
  }, 300_000);

  beforeAll(async () => {
    http = await staticServer(site, served);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    http?.server.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('classifies an example episode in the browser, from a plain static server', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const elsewhere: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(http.url) && !r.url().startsWith('blob:')) elsewhere.push(r.url());
    });
    await page.goto(http.url);
    await page.getByTestId('device-backend').locator('[data-backend="wasm"]').waitFor({ timeout: 60_000 });
    await page.locator('#dq-h ~ .row .thumb').nth(4).waitFor({ timeout: 60_000 });
    await page.getByTestId('device-classify').click();
    await page.getByTestId('device-results').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid=device-results] .query-tile').count()).toBe(5);
    // Five classes' maps of the first query, each drawn over its support on the model's region grid.
    expect(await page.locator('[data-testid=device-results] .heat').count()).toBe(5);
    expect(await page.locator('[data-testid=device-results] .heat-cell').count()).toBe(5 * 25);
    await expect.poll(() => page.getByTestId('demo-credit').innerText()).toContain('MIT licence');
    expect((await page.request.get(new URL('DATA-LICENSE.txt', http.url).href)).status()).toBe(200);
    // A second example, chosen on the page.
    await page.getByTestId('demo-episode').selectOption('1');
    await page.getByTestId('device-results').waitFor({ state: 'detached' });
    await page.getByTestId('device-classify').click();
    await page.getByTestId('device-results').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'demo.png'), fullPage: true });
    expect(elsewhere).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('answers the same on every cold load (and logs the download and the time to the first prediction)', async () => {
    const files = [...new Set(served)];
    const size = (f: string) => readFileSync(join(site, f));
    const kinds = {
      model: /^\/model\//,
      code: /\.(js|css|html)$/,
      wasm: /\.wasm$/,
      examples: /^\/(episodes\/|demo\.json)/,
    };
    const line = Object.entries(kinds).map(([kind, re]) => {
      const bytes = files.filter((f) => re.test(f)).map(size);
      const sum = (g: (b: Buffer) => number) => bytes.reduce((a, b) => a + g(b), 0) / 1024;
      return `${kind} ${sum((b) => b.length).toFixed(0)} KiB (gzip ${sum((b) => gzipSync(b, { level: 9 }).length).toFixed(0)}, brotli ${sum((b) => brotliCompressSync(b).length).toFixed(0)})`;
    });
    console.log(`[demo e2e] served: ${line.join('; ')}; ${files.length} files: ${files.join(' ')}`);
    // Cold loads (a fresh browser context each: nothing cached) to the first prediction on the page.
    const times: number[] = [];
    const answers: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const t0 = Date.now();
      await page.goto(http.url);
      await page.locator('#dq-h ~ .row .thumb').nth(4).waitFor({ timeout: 60_000 });
      await page.getByTestId('device-classify').click();
      await page.getByTestId('device-results').waitFor({ timeout: 60_000 });
      times.push(Date.now() - t0);
      const href = await page.getByTestId('device-json').getAttribute('href');
      answers.push(
        await page.evaluate(async (u) => {
          const j = (await (await fetch(u!)).json()) as { queries: { probabilities: number[] }[] };
          return j.queries.map((q) => q.probabilities);
        }, href),
      );
      const info = await page.getByTestId('device-model-info').innerText();
      if (i === 0) console.log(`[demo e2e] page: ${info}`);
      await context.close();
    }
    console.log(
      `[demo e2e] navigation to first prediction (cold, 5-way 1-shot Omniglot, 10 images): ${times.join(', ')} ms`,
    );
  });
});
