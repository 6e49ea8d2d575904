#!/usr/bin/env node
/**
 * Copies tfjs-backend-wasm's binaries (the SIMD build, and the plain one for a browser without SIMD) into
 * a folder the page serves as `tfjs/`: `public/tfjs/` for the dashboard (`build`, `dev`), the demo's own
 * folder for `build:demo`. The threaded build is not copied: the browser backend runs one thread.
 * The package is a dependency of this app at the exact version core's browser entry bundles.
 *
 * Usage: node scripts/tfjs-wasm.mjs [dest]   (default public/tfjs)
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TFJS_WASM_FILES = ['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm.wasm'];

export function copyTfjsWasm(dest) {
  const pkg = createRequire(join(WEB, 'package.json')).resolve('@tensorflow/tfjs-backend-wasm/package.json');
  mkdirSync(dest, { recursive: true });
  for (const f of TFJS_WASM_FILES) copyFileSync(join(dirname(pkg), 'dist', f), join(dest, f));
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  copyTfjsWasm(resolve(WEB, process.argv[2] ?? 'public/tfjs'));
