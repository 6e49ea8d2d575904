/**
 * Load test: concurrent `prediction` queries (Conv4 at 32x32, 5-way 1-shot, 3 queries per class) against
 * a server started here on loopback, with a tiny model trained through the API first. Bounded in time and
 * count; stops by itself. Usage: pnpm --filter @rcn/api loadtest [--seconds 10] [--connections 8]
 *
 * `--flood`: the same flood from one client (127.0.0.1) under the server's default per-client limits, while a
 * second client (127.0.0.2) sends one request at a time; reports that client's latencies (what the
 * per-client budget must keep bounded) and how many of the flood's requests were refused.
 */
import autocannon from 'autocannon';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { postFrom, removeDirs, startServer, tempDirs } from '@rcn/test-utils';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: expected a positive number`);
  return v;
}

const seconds = Math.min(arg('seconds', 10), 60);
const connections = Math.min(arg('connections', 8), 64);
const maxRequests = Math.min(arg('requests', 5000), 20_000);
const workers = Math.min(arg('workers', 2), 16);
const flood = process.argv.includes('--flood');

/** One request from another loopback source address (another client for the server); its latency. */
async function timedFrom(
  url: string,
  localAddress: string,
  body: string,
): Promise<{ ms: number; ok: boolean }> {
  const t0 = performance.now();
  const { status, text } = await postFrom(url, localAddress, body);
  return { ms: performance.now() - t0, ok: status === 200 && !text.includes('"errors"') };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]) : null;
};

const QUERY = `query ($e: EpisodeInput!) { prediction(checkpoint: "load/best", episode: $e) {
  accuracy queries { predictedLabel trueLabel probabilities supports { label score regionScores regionWeights } } } }`;

async function main(): Promise<void> {
  // Throughput mode measures one client: its per-client limits are lifted. Flood mode keeps the defaults.
  const dirs = tempDirs();
  mkdirSync(dirs.root, { recursive: true });
  const configPath = join(dirs.root, 'api.json');
  writeFileSync(
    configPath,
    JSON.stringify(
      flood
        ? {}
        : { limits: { maxClientPending: connections, clientWorkPerMinute: Number.MAX_SAFE_INTEGER } },
    ),
  );
  const server = await startServer({
    dirs,
    env: { RCN_API_INFERENCE_WORKERS: String(workers), RCN_API_CONFIG: configPath },
  });
  try {
    const url = new URL(server.url);
    // Loopback only: this script must never send load anywhere else.
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
      throw new Error(`refusing to load-test ${url.hostname}`);
    const started = await server.gql<{ startTraining: { id: string } }>(
      `mutation { startTraining(config: { dataset: "tiny-imagenet-32", backbone: "conv4", imageSize: 32, way: 5, shot: 1, query: 3, valQuery: 3,
        episodes: 2, valEvery: 2, valEpisodes: 1, workers: 1, runId: "load" }) { id } }`,
    );
    const jobId = started.data!.startTraining.id;
    for (;;) {
      const j = await server.gql<{ job: { status: string; error: string | null } }>(
        `{ job(id: "${jobId}") { status error } }`,
      );
      const status = j.data!.job.status;
      if (status === 'finished') break;
      if (status !== 'queued' && status !== 'running')
        throw new Error(`training failed: ${j.data!.job.error}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // Warm-up: each worker loads the model and decodes the images once.
    for (let i = 0; i < workers * 2; i++) {
      const w = await server.gql(QUERY, {
        e: { dataset: 'tiny-imagenet-32', split: 'test', way: 5, shot: 1, query: 3, seed: 0, index: i },
      });
      if (w.errors) throw new Error(JSON.stringify(w.errors));
    }
    let n = 0;
    let graphqlErrors = 0;
    let refused = 0;
    const other: { ms: number; ok: boolean }[] = [];
    let flooding = true;
    const probe = (async () => {
      for (let i = 0; flood && flooding; i++) {
        const body = JSON.stringify({
          query: QUERY,
          variables: {
            e: {
              dataset: 'tiny-imagenet-32',
              split: 'test',
              way: 5,
              shot: 1,
              query: 3,
              seed: 1,
              index: i % 200,
            },
          },
        });
        other.push(await timedFrom(server.url, '127.0.0.2', body));
      }
    })();
    const running = autocannon({
      url: `${server.url}/graphql`,
      connections,
      duration: seconds,
      maxOverallRequests: maxRequests,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          // Episodes vary over 200 indices so that every request does the full work.
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({
              query: QUERY,
              variables: {
                e: {
                  dataset: 'tiny-imagenet-32',
                  split: 'test',
                  way: 5,
                  shot: 1,
                  query: 3,
                  seed: 0,
                  index: n++ % 200,
                },
              },
            }),
          }),
          onResponse: (status, body) => {
            if (flood && /SERVER_BUSY|RATE_LIMITED/.test(body)) refused++;
            else if (status !== 200 || body.includes('"errors"')) graphqlErrors++;
          },
        },
      ],
    });
    const result = await running;
    flooding = false;
    await probe;
    const report = {
      model: 'Conv4, 32x32, 5-way 1-shot, 15 queries (3 per class), full region scores and weights',
      connections,
      inferenceWorkers: workers,
      seconds: result.duration,
      requests: result.requests.total,
      requestsPerSecond: result.requests.average,
      latencyMs: {
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        max: result.latency.max,
      },
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      graphqlErrors,
      ...(flood
        ? {
            floodRefused: refused,
            otherClient: {
              requests: other.length,
              failed: other.filter((o) => !o.ok).length,
              latencyMs: {
                p50: pct(
                  other.map((o) => o.ms),
                  50,
                ),
                p99: pct(
                  other.map((o) => o.ms),
                  99,
                ),
              },
            },
          }
        : {}),
    };
    console.log(JSON.stringify(report, null, 2));
    const failed = flood
      ? other.some((o) => !o.ok) || graphqlErrors > 0
      : result.non2xx > 0 || graphqlErrors > 0;
    if (failed || result.errors || result.timeouts) process.exitCode = 1;
  } finally {
    await server.stop();
    removeDirs(server.dirs);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
