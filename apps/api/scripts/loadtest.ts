/**
 * Load test: concurrent `prediction` queries (Conv4 at 32x32, 5-way 1-shot, 3 queries per class) against
 * a server started here on loopback, with a tiny model trained through the API first. Bounded in time and
 * count; stops by itself. Usage: pnpm --filter @rcn/api loadtest [--seconds 10] [--connections 8]
 */
import autocannon from 'autocannon';
import { removeDirs, startServer } from './server-process.js';

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

const QUERY = `query ($e: EpisodeInput!) { prediction(checkpoint: "load/best", episode: $e) {
  accuracy queries { predictedLabel trueLabel probabilities supports { label score regionScores regionWeights } } } }`;

async function main(): Promise<void> {
  const server = await startServer({ env: { RCN_API_INFERENCE_WORKERS: String(workers) } });
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
    const result = await autocannon({
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
            if (status !== 200 || body.includes('"errors"')) graphqlErrors++;
          },
        },
      ],
    });
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
    };
    console.log(JSON.stringify(report, null, 2));
    if (result.non2xx || result.errors || result.timeouts || graphqlErrors) process.exitCode = 1;
  } finally {
    await server.stop();
    removeDirs(server.dirs);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
