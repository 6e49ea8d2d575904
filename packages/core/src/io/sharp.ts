/**
 * sharp (libvips), loaded on first use: importing it costs more than most of a server's start-up, and a
 * process that decodes no image (the API answering `runs`, `pnpm cli runs`) never needs it.
 */
import { createRequire } from 'node:module';
import type sharpModule from 'sharp';

export type Sharp = typeof sharpModule;

let loaded: Sharp | null = null;

/** The `sharp` function (sharp is a CommonJS package: required once, then kept). */
export function sharp(): Sharp {
  return (loaded ??= createRequire(import.meta.url)('sharp') as Sharp);
}
