#!/usr/bin/env node
// `pnpm dev`: the API and the dashboard together, on loopback, wired to each other, with a token kept in
// the workspace (.rcn/dev-token, git-ignored, made on first start and reused), so that a run trained with
// `pnpm cli train` in another terminal shows up live in the dashboard without setting anything.
// Both read the workspace's folders from core's `paths` (the same as the CLI's). Ctrl-C stops both.
//
// Environment (all optional): RCN_API_PORT (4000), RCN_WEB_PORT (3000), RCN_API_TOKEN (instead of the
// token file), and every folder variable the API reads (RCN_DATA_DIR, RCN_RUNS_DIR, RCN_API_DB).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const API_DIR = join(ROOT, 'apps', 'api');
const WEB_DIR = join(ROOT, 'apps', 'web');
const HOST = '127.0.0.1';

function fail(message) {
  console.error(`pnpm dev: ${message}`);
  process.exit(1);
}

function port(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    fail(`${name}: expected a port in [1, 65535], got '${raw}'`);
  return n;
}

/** The env token, else the workspace's token file, created (owner-only) when absent. */
function devToken(file) {
  if (process.env.RCN_API_TOKEN) return { token: process.env.RCN_API_TOKEN, from: 'RCN_API_TOKEN' };
  let token;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (e) {
    if (e.code !== 'ENOENT') fail(`cannot read the token file ${file} (${e.code})`);
  }
  if (token !== undefined && token.length < 16)
    fail(`the token file ${file} holds fewer than 16 characters; delete it to have a new one made`);
  if (token === undefined) {
    token = randomBytes(24).toString('base64url');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
  }
  return { token, from: relative(ROOT, file) || file };
}

// Core and the API run from their builds (turbo, cached); the dashboard compiles itself (next dev).
const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'quiet-build.mjs'), '@rcn/api...'], {
  stdio: 'inherit',
});
if (built.status !== 0) process.exit(built.status ?? 1);
// The dashboard's typed GraphQL documents (src/gql, generated from the API's schema; rerun `pnpm codegen`
// after editing an operation while this runs).
const quietBuild = join(ROOT, 'scripts', 'quiet-build.mjs');
const generated = spawnSync(process.execPath, [quietBuild, '@rcn/web', 'codegen'], { stdio: 'inherit' });
if (generated.status !== 0) process.exit(generated.status ?? 1);
// The wasm binaries the try page's "on this device" mode loads from /tfjs/ (as the web's own `dev` does).
spawnSync(process.execPath, [join(WEB_DIR, 'scripts', 'tfjs-wasm.mjs')], { stdio: 'inherit' });
const { devTokenPath, launchDir, resolvePaths } = await import('../packages/core/dist/paths/index.js');

const apiPort = port('RCN_API_PORT', 4000);
const webPort = port('RCN_WEB_PORT', 3000);
const { token, from } = devToken(devTokenPath());
// As the API resolves them (relative values from where `pnpm dev` was typed).
const paths = resolvePaths({ base: launchDir(['dev']) });

const children = new Map();
let stopping = false;

/** Spawns a child in its own process group (so stopping it stops what it spawned), prefixing its output. */
function start(name, args, cwd, env) {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.set(name, child);
  const lines = {
    stdout: createInterface({ input: child.stdout }),
    stderr: createInterface({ input: child.stderr }),
  };
  lines.stdout.on('line', (l) => console.log(`[${name}] ${l}`));
  lines.stderr.on('line', (l) => console.error(`[${name}] ${l}`));
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) return;
    console.error(`pnpm dev: the ${name} stopped (${signal ?? `exit code ${code}`}); stopping the rest`);
    stop(1);
  });
  return { child, lines };
}

function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children.values()) signalGroup(child, 'SIGTERM');
  const force = setTimeout(() => {
    for (const child of children.values()) signalGroup(child, 'SIGKILL');
  }, 10_000);
  const done = () => {
    if (children.size > 0) return;
    clearTimeout(force);
    process.exit(code);
  };
  for (const child of children.values()) child.once('exit', () => setImmediate(done));
  done();
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => stop(0));

/** Resolves with the first stdout line `match` accepts (its result). */
function waitLine(proc, match) {
  return new Promise((resolveLine) => {
    const onLine = (l) => {
      const hit = match(l);
      if (hit) {
        proc.lines.stdout.off('line', onLine);
        resolveLine(hit);
      }
    };
    proc.lines.stdout.on('line', onLine);
  });
}

const api = start('api', [join(API_DIR, 'dist', 'main.js')], API_DIR, {
  RCN_API_HOST: HOST,
  RCN_API_PORT: String(apiPort),
  RCN_API_TOKEN: token,
});
const apiUrl = await waitLine(api, (l) => {
  if (!l.includes('"listening"')) return null;
  try {
    return JSON.parse(l).url;
  } catch {
    return null;
  }
});

const nextBin = join(WEB_DIR, 'node_modules', 'next', 'dist', 'bin', 'next');
const web = start('web', [nextBin, 'dev', '--port', String(webPort), '--hostname', HOST], WEB_DIR, {
  RCN_API_URL: `${apiUrl}/graphql`,
  RCN_API_TOKEN: token,
  NEXT_TELEMETRY_DISABLED: '1',
});
// Next moves to another port when the one asked for is taken: show the one it serves on.
let webUrl = `http://${HOST}:${webPort}`;
await waitLine(web, (l) => {
  const local = /local:\s+(http:\/\/\S+)/i.exec(l);
  if (local) webUrl = local[1];
  return /ready in/i.test(l);
});

const where = (p) => `${p.path} (${p.source})`;
console.log(
  [
    '',
    'RCN Studio is up (loopback only):',
    `  dashboard  ${webUrl}`,
    `  API        ${apiUrl}/graphql`,
    `  token      ${token}  (${from}; the dashboard sends it for you)`,
    `  runs       ${where(paths.runsDir)}`,
    `  data       ${where(paths.dataDir)}`,
    'Train in another terminal with `pnpm cli train`; the run appears on the dashboard. Ctrl-C stops both.',
    '',
  ].join('\n'),
);
