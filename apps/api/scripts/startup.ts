/**
 * `pnpm --filter @rcn/api startup [runs]`: how long the built server (dist/main.js, started as `pnpm
 * --filter @rcn/api start` starts it, after its build) takes from its process starting to answering its first
 * query, `{ runs { id status } }` over HTTP, as the dashboard's first page load asks. Each run starts a fresh
 * process on empty runs and database folders and the workspace's data folder, polls until the first answer,
 * then stops it. Prints each run, then min / median / max, with the machine's cores and load average
 * (speed is measured here, never by timed tests).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_ROOT, TEST_TOKEN, sharedDataDir } from '@rcn/test-utils';

const QUERY = JSON.stringify({ query: '{ runs(limit: 5) { id status } }' });

interface Timing {
  listening: number;
  firstAnswer: number;
}

async function once(port: number): Promise<Timing> {
  const root = mkdtempSync(join(tmpdir(), 'rcn-api-startup-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(API_ROOT, 'dist', 'main.js')], {
    cwd: API_ROOT,
    env: {
      ...process.env,
      RCN_API_HOST: '127.0.0.1',
      RCN_API_PORT: String(port),
      RCN_DATA_DIR: sharedDataDir(),
      RCN_RUNS_DIR: join(root, 'runs'),
      RCN_API_DB: join(root, 'api.sqlite'),
      RCN_API_TOKEN: TEST_TOKEN,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let listening = NaN;
  child.stdout!.on('data', (d: Buffer) => {
    if (Number.isNaN(listening) && d.toString().includes('"listening"')) listening = performance.now() - t0;
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${stderr}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: QUERY,
        });
        const body = (await res.json()) as { data?: unknown };
        if (!body.data) throw new Error(`unexpected answer: ${JSON.stringify(body)}`);
        return { listening, firstAnswer: performance.now() - t0 };
      } catch (e) {
        if (e instanceof Error && e.message.startsWith('unexpected answer')) throw e;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(root, { recursive: true, force: true });
  }
}

const runs = Number(process.argv[2] ?? 5);
const port = 20_000 + Math.floor(Math.random() * 20_000);
console.log(
  `API start-up, ${runs} runs: ${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} before`,
);
const firsts: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = await once(port);
  firsts.push(t.firstAnswer);
  console.log(
    `run ${i + 1}: listening after ${t.listening.toFixed(0)} ms, first answer after ${t.firstAnswer.toFixed(0)} ms`,
  );
}
const sorted = [...firsts].sort((a, b) => a - b);
const ms = (v: number) => `${v.toFixed(0)} ms`;
console.log(
  `first answer: min ${ms(sorted[0])}, median ${ms(sorted[Math.floor(sorted.length / 2)])}, max ${ms(sorted.at(-1)!)}` +
    ` (load average ${loadavg()[0].toFixed(2)} after)`,
);
