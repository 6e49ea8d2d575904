/**
 * Wiring: store, services, job recovery, Apollo and the HTTP server; `stop` undoes it in reverse. What a
 * first query does not need (the model workers, the run index) starts after the server listens.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { type BackendInfo } from '@rcn/core';
import { EmbeddedEngine, openRedisEngine, type JobEngine } from '@rcn/jobs';
import type { ApiConfig } from './config.js';
import { createApollo, createSchema } from './graphql/apollo.js';
import { publicPaths } from './services/paths.js';
import { attachSubscriptions } from './graphql/subscriptions.js';
import type { Services } from './graphql/context.js';
import { createHttpServer } from './http/server.js';
import { JobManager } from './jobs/manager.js';
import { DatasetService } from './services/datasets.js';
import { InferenceService } from './services/inference.js';
import { PartsService } from './services/parts.js';
import { PngStore } from './services/png.js';
import { syncRuns } from './services/runs.js';
import { SqliteStore } from './store/sqlite.js';

export interface RunningApp {
  url: string;
  port: number;
  services: Services;
  stop(): Promise<void>;
}

export async function startApp(
  config: ApiConfig,
  log: (msg: string) => void = () => {},
): Promise<RunningApp> {
  mkdirSync(config.runsDir, { recursive: true });
  const store = new SqliteStore(config.dbPath);
  let engine: JobEngine;
  if (config.queue) {
    const redis = await openRedisEngine({ url: config.queue });
    await redis.ready();
    engine = redis;
    log(
      `jobs go to the queue at ${config.queue}; start workers with: pnpm cli worker --queue ${config.queue}`,
    );
  } else engine = new EmbeddedEngine(config.limits.maxConcurrentJobs);
  const jobs = new JobManager(store, engine, config.runsDir);
  const lost = await jobs.recover();
  for (const j of lost)
    log(
      `job ${j.id} (${j.kind}${j.runId ? `, run ${j.runId}` : ''}) was unfinished when the server stopped: marked failed`,
    );
  // Neither the run index nor the model workers are needed by a first query (`runs` syncs the index
  // itself): both start once the server listens, so that it answers within a second of starting.
  const inference = new InferenceService(config.inferenceWorkers, config.backend, config.dataDir);
  let backend: Promise<BackendInfo> | null = null;
  const datasets = new DatasetService(config.dataDir);
  const pngs = new PngStore(config.cacheDir);
  const publicText = publicPaths({
    data: config.dataDir,
    runs: config.runsDir,
    cache: config.cacheDir,
    ...(config.zooDir ? { zoo: config.zooDir } : {}),
  });
  const services: Services = {
    config,
    store,
    datasets,
    inference,
    jobs,
    pngs,
    parts: new PartsService(config.cacheDir, config.limits, datasets, inference, pngs),
    backend: () => (backend ??= inference.backend()),
    publicText,
  };
  const schema = createSchema();
  const apollo = createApollo(schema, config, publicText);
  await apollo.start();
  const http = createHttpServer(apollo, services);
  const subscriptions = attachSubscriptions(http, schema, services, config.limits);
  // Slow clients must not hold sockets forever.
  http.requestTimeout = 120_000;
  http.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
  setImmediate(() => {
    syncRuns(config.runsDir, store).catch((e: unknown) => log(`indexing the runs folder: ${String(e)}`));
    // A backend that cannot load is reported here and by every model query, not by refusing to start.
    inference
      .warm()
      .catch((e: unknown) => log(`model workers: ${e instanceof Error ? e.message : String(e)}`));
  });
  const port = (http.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `http://${host}:${port}`,
    port,
    services,
    async stop() {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await subscriptions.close();
      await apollo.stop();
      await jobs.close();
      await inference.close();
      store.close();
    },
  };
}
