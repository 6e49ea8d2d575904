/**
 * A user's images on disk as labelled sets: a support folder (one sub-folder per class) and queries given
 * as files or folders (a folder of class folders gives the queries true labels).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { DataError, imageExtensions, listImages, type SkippedFiles } from '../data/index.js';

export interface LabelledFile {
  path: string;
  /** Class folder name; null for a query without a known class. */
  label: string | null;
}

export interface SupportSet {
  /** Class names in order (sorted folder names). */
  classes: string[];
  shot: number;
  /** `classes.length * shot` files, class-major. */
  files: LabelledFile[];
  skipped: SkippedFiles;
}

function addSkipped(into: SkippedFiles, more: SkippedFiles): void {
  for (const [x, n] of Object.entries(more)) into[x] = (into[x] ?? 0) + n;
}

async function subFolders(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** `dir/<class>/<image>`: every class needs the same number of images (the shot). */
export async function readSupportFolder(dir: string): Promise<SupportSet> {
  const root = resolve(dir);
  let classes: string[];
  try {
    classes = await subFolders(root);
  } catch (e) {
    throw new DataError(
      root,
      `cannot list class folders (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  if (classes.length < 2)
    throw new DataError(root, `support needs at least 2 class folders, found ${classes.length}`);
  const skipped: SkippedFiles = {};
  const per = new Map<string, string[]>();
  for (const c of classes) {
    const l = await listImages(join(root, c));
    addSkipped(skipped, l.skipped);
    per.set(
      c,
      l.images.map((f) => join(root, c, f)),
    );
  }
  const counts = classes.map((c) => per.get(c)!.length);
  const shot = counts[0];
  const empty = classes.find((c) => per.get(c)!.length === 0);
  if (empty) throw new DataError(join(root, empty), 'class folder holds no supported image');
  if (counts.some((n) => n !== shot))
    throw new DataError(
      root,
      `every class needs the same number of support images (the shot): ${classes.map((c, i) => `${c} ${counts[i]}`).join(', ')}`,
    );
  return {
    classes,
    shot,
    files: classes.flatMap((c) => per.get(c)!.map((path) => ({ path, label: c }))),
    skipped,
  };
}

/**
 * Query images from files and folders: a file as given (it must have a supported extension); a folder's
 * images, or, for a folder of class folders, their images labelled with the folder name.
 */
export async function readQueryInputs(
  inputs: readonly string[],
): Promise<{ files: LabelledFile[]; skipped: SkippedFiles }> {
  const files: LabelledFile[] = [];
  const skipped: SkippedFiles = {};
  for (const input of inputs) {
    const p = resolve(input);
    const s = await stat(p).catch(() => null);
    if (!s) throw new DataError(p, 'no such file or folder');
    if (s.isFile()) {
      if (!imageExtensions().has(extname(p).toLowerCase()))
        throw new DataError(
          p,
          `unsupported image extension '${extname(p) || '(none)'}' (supported: ${[...imageExtensions()].sort().join(' ')})`,
        );
      files.push({ path: p, label: null });
      continue;
    }
    const own = await listImages(p);
    addSkipped(skipped, own.skipped);
    files.push(...own.images.map((f) => ({ path: join(p, f), label: null })));
    for (const c of own.images.length ? [] : await subFolders(p)) {
      const l = await listImages(join(p, c));
      addSkipped(skipped, l.skipped);
      files.push(...l.images.map((f) => ({ path: join(p, c, f), label: c })));
    }
  }
  if (!files.length) throw new DataError(inputs.join(', '), 'no query images found');
  return { files, skipped };
}

/** A short, unique-enough display name of a file. */
export function displayName(f: LabelledFile): string {
  return f.label ? `${f.label}/${basename(f.path)}` : basename(f.path);
}
