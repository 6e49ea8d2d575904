/**
 * The store of rendered explanation images (RAM overlays, panels, parts
 * galleries, drawn by core's explanation module in the inference workers). Rendered files are
 * content-addressed (`/files/<sha256>.png`), stored once in the cache folder and served immutable.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@rcn/core';

export const FILE_NAME = /^([0-9a-f]{64})\.png$/;

/** Writes content-addressed PNGs into `dir`; the returned URL never changes meaning. */
export class PngStore {
  constructor(readonly dir: string) {}

  async put(png: Buffer): Promise<string> {
    const sha = createHash('sha256').update(png).digest('hex');
    const path = join(this.dir, `${sha}.png`);
    if (!existsSync(path)) await writeFileAtomic(path, png);
    return `/files/${sha}.png`;
  }

  /** Path of a stored file by its URL name, or null (names are checked, so no path escapes the folder). */
  path(name: string): string | null {
    const m = FILE_NAME.exec(name);
    return m ? join(this.dir, `${m[1]}.png`) : null;
  }
}
