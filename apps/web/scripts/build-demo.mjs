#!/usr/bin/env node
/**
 * Builds the static demo app into `demo-dist/`: the try page's "on this device" mode (src/demo/main.tsx)
 * bundled by esbuild (React, core's browser entry, TensorFlow.js; the WebGPU backend in a chunk of its
 * own, loaded only where the browser has WebGPU), the dashboard's stylesheet, an index.html and the wasm
 * binaries. `pnpm cli export-demo` copies it and adds the model, the examples and `demo.json`.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { copyTfjsWasm } from './tfjs-wasm.mjs';

const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(WEB, 'demo-dist');

rmSync(OUT, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: WEB,
  entryPoints: { app: 'src/demo/main.tsx' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  // Browsers with WebAssembly SIMD and ES2020 modules (Chrome 91, Firefox 89, Safari 16.4).
  target: ['chrome91', 'firefox89', 'safari16.4'],
  minify: true,
  jsx: 'automatic',
  tsconfig: 'tsconfig.json',
  define: { 'process.env.NODE_ENV': '"production"' },
  outdir: OUT,
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'linked',
  logLevel: 'warning',
});
writeFileSync(
  join(OUT, 'index.html'),
  `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>RCN Studio demo: a few-shot model in your browser</title>
    <link rel="stylesheet" href="./app.css" />
  </head>
  <body>
    <div id="root"></div>
    <noscript>This demo runs a neural network in your browser: it needs JavaScript.</noscript>
    <script type="module" src="./app.js"></script>
  </body>
</html>
`,
);
copyTfjsWasm(join(OUT, 'tfjs'));
console.log(`demo app built into ${OUT}`);
