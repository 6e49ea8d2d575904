/**
 * Folder listings that follow symbolic links: a dataset folder linked into the data folder (the usual way
 * to point at data on another disk, `ln -s /big/disk/mini-imagenet data/`), or a class folder or image that
 * is a link, counts as what it points to. A link whose target is gone is left out, as a missing file is.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

async function kindOf(dir: string, e: Dirent): Promise<'dir' | 'file' | null> {
  if (e.isDirectory()) return 'dir';
  if (e.isFile()) return 'file';
  if (!e.isSymbolicLink()) return null;
  try {
    const s = await stat(join(dir, e.name));
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : null;
  } catch {
    return null;
  }
}

/** `dir`'s entries of one kind, links followed, in directory order; throws as `readdir` does. */
export async function entriesOf(dir: string, kind: 'dir' | 'file'): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }))
    if ((await kindOf(dir, e)) === kind) out.push(e.name);
  return out;
}
