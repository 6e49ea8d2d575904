/**
 * The README's quick start, as a new user runs it: its own commands, read from README.md, run from the
 * repository root with no folder overrides (every RCN_* variable removed). `pnpm cli train` (with a few
 * episodes added) writes its run into the default runs folder; `pnpm dev` brings up the API and the
 * dashboard; the run is in the API's `runs`, on the dashboard's runs page in Chromium with its curves, and
 * Ctrl-C stops both servers.
 *
 * Honest and hermetic at once: it uses the real default folders (that is the point), under a run id of
 * its own that it removes afterwards, with the runs folder and the dev token removed too when it made them.
 * Only the ports are chosen free, so that it can run beside a developer's own `pnpm dev`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../../packages/core/dist/paths/index.js';
import { ARTIFACTS, CHROMIUM, REPO_ROOT } from './_env';
import { freePort } from '@rcn/test-utils';

/** The quick start's commands, in order, from the README's first code block under "## Quick start". */
function quickStartCommands(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Quick start'));
  const block = section?.match(/```bash\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error('README.md: no ```bash block under "## Quick start"');
  return block
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean)
    .flatMap((l) => l.split('&&').map((c) => c.trim()));
}

const commands = quickStartCommands();
const TRAIN = 'pnpm cli train';
const DEV = 'pnpm dev';

/** The environment of a fresh terminal: none of our variables, no pnpm state inherited from `pnpm test`. */
const INHERITED = /^(RCN_|npm_|VITEST|TURBO_)|^(INIT_CWD|PNPM_SCRIPT_SRC_DIR|NODE_ENV|TEST)$/;
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !INHERITED.test(k)),
) as NodeJS.ProcessEnv;
const defaults = resolvePaths({ env: userEnv, searchFrom: [REPO_ROOT] });

function missing(): string | null {
  if (!existsSync(join(defaults.dataDir.path, 'omniglot')))
    return `omniglot not found in the default data folder ${defaults.dataDir.path}`;
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`;
  return null;
}
const reason = missing();
if (reason) {
  if (process.env.CI === 'true') throw new Error(`the quick-start test needs ${reason}`);
  console.warn(`skipping the quick-start test: ${reason}`);
}

/** Runs a README command (split on spaces: the quick start has no quoting) plus `extra` arguments. */
function run(
  command: string,
  extra: string[],
  env: NodeJS.ProcessEnv = userEnv,
): { child: ChildProcess; out: () => string } {
  const [bin, ...args] = command.split(/\s+/);
  // Its own process group, so that "Ctrl-C" reaches pnpm and everything under it, as in a terminal.
  const child = spawn(bin, [...args, ...extra], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

function exited(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | null, log: () => string) {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v !== null) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what} not seen in ${timeoutMs} ms:\n${log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe.skipIf(reason !== null)('the README quick start, end to end', () => {
  const runId = `quickstart-e2e-${process.pid}-${Date.now().toString(36)}`;
  const runsDir = defaults.runsDir.path;
  const tokenFile = join(REPO_ROOT, '.rcn', 'dev-token');
  const hadRunsDir = existsSync(runsDir);
  const hadToken = existsSync(tokenFile);
  let dev: ReturnType<typeof run> | undefined;
  let apiPort = 0;
  let webPort = 0;
  let urls: { dashboard: string; api: string };
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    expect(commands, 'README quick start: update this test with it').toContain(TRAIN);
    expect(commands, 'README quick start: update this test with it').toContain(DEV);
    expect(commands.indexOf(TRAIN)).toBeLessThan(commands.indexOf(DEV));
    // Paths must be the workspace defaults, or the test would prove nothing about them.
    expect(defaults.runsDir).toEqual({ path: join(REPO_ROOT, 'runs'), source: 'workspace' });

    const t0 = Date.now();
    // A short run: the quick start's command with a few episodes instead of 60,000.
    const train = run(TRAIN, [
      '--episodes',
      '4',
      '--val-every',
      '2',
      '--val-episodes',
      '2',
      '--query',
      '2',
      '--val-query',
      '2',
      '--run-id',
      runId,
    ]);
    const trained = exited(train.child, 180_000);
    // "In a second terminal", once the CLI has started (its build step done): `pnpm dev`.
    await waitFor(
      'the CLI training',
      120_000,
      () => (/^backend: /m.test(train.out()) ? true : null),
      train.out,
    );
    const t1 = Date.now();
    [apiPort, webPort] = [await freePort(), await freePort()];
    dev = run(DEV, [], { ...userEnv, RCN_API_PORT: String(apiPort), RCN_WEB_PORT: String(webPort) });
    const d = dev;
    urls = await waitFor(
      `${DEV}'s banner`,
      150_000,
      () => {
        const dashboard = /dashboard\s+(http:\/\/\S+)/.exec(d.out())?.[1];
        const api = /API\s+(http:\/\/\S+\/graphql)/.exec(d.out())?.[1];
        return dashboard && api ? { dashboard, api } : null;
      },
      d.out,
    );
    console.log(`[quickstart] ${DEV}: up in ${Date.now() - t1} ms`);
    // The user opens the Runs page while the run trains (the first request compiles it: next dev).
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${urls.dashboard}/runs`, { timeout: 150_000 });
    expect(await trained, train.out()).toBe(0);
    expect(existsSync(join(runsDir, runId, 'status.json')), train.out()).toBe(true);
    console.log(`[quickstart] ${TRAIN} and the Runs page: ${Date.now() - t0} ms`);
  });

  afterAll(async () => {
    await browser?.close();
    if (dev && dev.child.exitCode === null && dev.child.signalCode === null) {
      process.kill(-dev.child.pid!, 'SIGTERM');
      await exited(dev.child, 15_000).catch(() => process.kill(-dev!.child.pid!, 'SIGKILL'));
    }
    rmSync(join(runsDir, runId), { recursive: true, force: true });
    if (!hadRunsDir) rmSync(runsDir, { recursive: true, force: true });
    if (!hadToken) rmSync(join(REPO_ROOT, '.rcn'), { recursive: true, force: true });
  });

  it('pnpm dev wires the API to the default folders and prints its token', () => {
    const out = dev!.out();
    expect(urls.api).toBe(`http://127.0.0.1:${apiPort}/graphql`);
    expect(urls.dashboard).toBe(`http://127.0.0.1:${webPort}`);
    expect(out).toContain(`runs       ${runsDir} (workspace)`);
    expect(out).toContain(`runs ${runsDir}, db ${join(runsDir, '.rcn-api.sqlite')}`);
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(16);
    expect(out).toContain(`token      ${token}`);
  });

  it("the CLI's run is in the API's runs", async () => {
    const res = await fetch(urls.api, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        // The token `pnpm dev` made and printed (queries may not need it; it does no harm).
        authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`,
      },
      body: JSON.stringify({ query: '{ runs { id status episode } }' }),
    });
    const body = (await res.json()) as { data: { runs: { id: string; status: string; episode: number }[] } };
    expect(body.data.runs).toContainEqual({ id: runId, status: 'finished', episode: 4 });
  });

  it("the dashboard's runs page shows the run, without a reload, and its curves", async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The page opened during training picks the run up by itself (it polls the API).
    await page.getByTestId('runs-table').getByText(runId).waitFor({ timeout: 60_000 });
    await page.goto(`${urls.dashboard}/runs?compare=${runId}`, { timeout: 60_000 });
    await page.getByTestId('runs-table').getByText(runId).waitFor({ timeout: 30_000 });
    for (const chart of ['chart-accuracy', 'chart-loss', 'chart-lr'])
      await page
        .getByTestId(chart)
        .locator('path.recharts-line-curve')
        .first()
        .waitFor({ state: 'attached', timeout: 30_000 });
    // Train and validation accuracy; validation at episodes 2 and 4 draws a segment, not just a point.
    const accuracy = page.getByTestId('chart-accuracy').locator('path.recharts-line-curve');
    expect(await accuracy.count()).toBeGreaterThanOrEqual(2);
    const paths = await accuracy.evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''));
    expect(
      paths.some((d) => /^M[\d.]+,[\d.]+[LC]/.test(d)),
      paths.join('\n'),
    ).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'quickstart-runs.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('Ctrl-C stops the API and the dashboard', async () => {
    process.kill(-dev!.child.pid!, 'SIGINT');
    await exited(dev!.child, 20_000);
    // Both servers close their ports (the dev script waits for them; allow a little slack for the OS).
    const t0 = Date.now();
    while ((await listening(apiPort)) || (await listening(webPort))) {
      if (Date.now() - t0 > 15_000) throw new Error(`a server still listens after Ctrl-C:\n${dev!.out()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(dev!.out()).toMatch(/\[api\] SIGTERM: stopping/);
  });
});
