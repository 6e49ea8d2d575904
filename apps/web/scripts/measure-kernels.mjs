#!/usr/bin/env node
/**
 * What our wasm kernels bring in the browser: serves each exported demo folder (`pnpm cli export-demo`)
 * with a plain static server, opens it in headless Chromium (RCN_CHROMIUM, default /usr/bin/chromium) with
 * our kernels and with `?kernels=stock` (TF.js's wasm kernels only), classifies the first example 8 times
 * and prints the first and the median of the later prediction times, two rounds each (A B A B).
 *
 * Usage: node scripts/measure-kernels.mjs DEMO_DIR [DEMO_DIR...]
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
};
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const browser = await chromium.launch({
  executablePath: process.env.RCN_CHROMIUM ?? '/usr/bin/chromium',
  args: ARGS,
});
for (const dir of process.argv.slice(2).map((d) => resolve(d))) {
  const server = createServer(async (req, res) => {
    let p = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (p.endsWith('/')) p += 'index.html';
    try {
      const body = await readFile(join(dir, p));
      res.writeHead(200, { 'content-type': TYPES[extname(p)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;
  for (const round of [1, 2])
    for (const kernels of ['ours', 'stock']) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${url}?backend=wasm&kernels=${kernels}`);
      await page.getByTestId('device-model-info').getByText('KiB loaded').waitFor({ timeout: 60_000 });
      await page.locator('#dq-h ~ .row .thumb').first().waitFor({ timeout: 60_000 });
      for (let i = 0; i < 8; i++) {
        await page.getByTestId('device-classify').click();
        await page
          .getByTestId('device-classify')
          .getByText('Classify on this device')
          .waitFor({ timeout: 300_000 });
      }
      const href = await page.getByTestId('device-json').getAttribute('href');
      const { predictionsMs: t, backend } = await page.evaluate(async (u) => (await fetch(u)).json(), href);
      console.log(
        `${dir} round ${round}, ${kernels} kernels (${backend.description}): first ${t[0].toFixed(1)} ms, ` +
          `later median ${median(t.slice(1)).toFixed(1)} ms (${t
            .slice(1)
            .map((x) => x.toFixed(0))
            .join(' ')})`,
      );
      await context.close();
    }
  server.close();
}
await browser.close();
