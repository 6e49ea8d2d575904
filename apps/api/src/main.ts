#!/usr/bin/env node
/** `pnpm --filter @rcn/api start`: the API server, configured by environment and an optional JSON file. */
import { startApp } from './app.js';
import { loadConfig } from './config.js';

async function main(): Promise<void> {
  const arg = process.argv.indexOf('--config');
  const config = loadConfig(process.env, arg > 0 ? process.argv[arg + 1] : process.env.RCN_API_CONFIG);
  const app = await startApp(config, (m) => console.error(m));
  console.error(
    `RCN API listening on ${app.url}/graphql (data ${config.dataDir}, runs ${config.runsDir}, db ${config.dbPath})`,
  );
  const set = Object.entries(config.sources ?? {});
  if (set.length) console.error(`settings: ${set.map(([k, v]) => `${k} from ${v}`).join(', ')}`);
  if (config.tokenGenerated)
    console.error(`API token for mutations (generated; set RCN_API_TOKEN to fix one): ${config.token}`);
  // One machine-readable line for scripts and tests that start the server.
  console.log(JSON.stringify({ event: 'listening', url: app.url, port: app.port }));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`${signal}: stopping`);
    app.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
