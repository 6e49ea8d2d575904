/**
 * Image-folder datasets: one sub-folder per class. Used for CUB-200-2011 (`images/<NNN.Name>/*.jpg` with
 * split JSON files listing class folders) and for users' own data (any folder of class folders, with an
 * optional split file).
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { sharp } from '../io/index.js';
import { DecodeCache } from './cache.js';
import { entriesOf } from './entries.js';
import { readText } from './csv.js';
import { DataError } from './errors.js';
import { decodeImageFile } from './image.js';
import type { ImageFolderOptions } from './mini-imagenet.js';
import { Rng } from '../util/index.js';
import { MINI_IMAGENET_NORM, type ClassInfo, type FewShotDataset } from './types.js';

let extensions: ReadonlySet<string> | null = null;

/**
 * Extensions of every format the installed sharp decodes from a buffer, plus netpbm (decoded here); asked
 * of sharp on first use (loading sharp is deferred: io/sharp.ts).
 */
export function imageExtensions(): ReadonlySet<string> {
  return (extensions ??= new Set([
    ...Object.values(sharp().format).flatMap((f) =>
      f.input.buffer ? (f.input.fileSuffix ?? []).filter((x: string) => !x.slice(1).includes('.')) : [],
    ),
    '.pgm',
    '.ppm',
    '.pnm',
  ]));
}

/** Files in class folders that are not images of a supported format, by extension (`(none)` for none). */
export type SkippedFiles = Record<string, number>;

/** "3 files skipped (.txt x2, .bmp x1); supported: .jpg, ..." or '' when none. */
export function formatSkipped(skipped: SkippedFiles | undefined): string {
  const e = Object.entries(skipped ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (!e.length) return '';
  const n = e.reduce((a, [, c]) => a + c, 0);
  return (
    `${n} file${n === 1 ? '' : 's'} not read (${e.map(([x, c]) => `${x} x${c}`).join(', ')}); ` +
    `supported: ${[...imageExtensions()].sort().join(' ')}`
  );
}

async function readJson(path: string): Promise<unknown> {
  const text = await readText(path, 'split file');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new DataError(path, `invalid JSON (${(e as Error).message})`);
  }
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Class folder names of `split` from a split file: a JSON array (the file is for one split), a JSON
 * object `{ "<split>": [names] }`, or a text file of one name per line.
 */
export async function readClassListSplit(path: string, split?: string): Promise<string[]> {
  let list: unknown;
  if (extname(path) === '.json') {
    const j = await readJson(path);
    if (Array.isArray(j)) list = j;
    else if (j && typeof j === 'object') {
      if (!split || !(split in j))
        throw new DataError(path, `no split '${split}' (has: ${Object.keys(j).join(', ')})`);
      list = (j as Record<string, unknown>)[split];
    }
  } else {
    list = (await readText(path, 'split file'))
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
  }
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string'))
    throw new DataError(path, `expected a list of class folder names${split ? ` for split '${split}'` : ''}`);
  return list as string[];
}

/**
 * Image files of a class folder (sorted) and, by extension, the other files in it. Hidden files
 * (`.DS_Store`) and sub-folders are not counted.
 */
export async function listImages(dir: string): Promise<{ images: string[]; skipped: SkippedFiles }> {
  const images: string[] = [];
  const skipped: SkippedFiles = {};
  for (const name of await entriesOf(dir, 'file')) {
    if (name.startsWith('.')) continue;
    const ext = extname(name).toLowerCase();
    if (imageExtensions().has(ext)) images.push(name);
    else skipped[ext || '(none)'] = (skipped[ext || '(none)'] ?? 0) + 1;
  }
  return { images: images.sort(), skipped };
}

export interface FolderDatasetOptions extends ImageFolderOptions {
  /** Readable class name from its folder name (default: the folder name, underscores as spaces). */
  className?: (folder: string) => string;
}

/** A dataset from `imagesDir/<class>/<image>`; `classNames` lists the class folders (from `source`). */
export async function folderDataset(
  imagesDir: string,
  classFolders: string[] | null,
  split: string,
  source: string,
  opts: FolderDatasetOptions & { defaultName: string },
): Promise<FewShotDataset> {
  const size = opts.imageSize ?? 84;
  let present: string[];
  try {
    present = (await entriesOf(imagesDir, 'dir')).sort();
  } catch (e) {
    throw new DataError(
      imagesDir,
      `cannot list class folders (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const presentSet = new Set(present);
  const folders = classFolders ?? present;
  for (const f of folders)
    if (!presentSet.has(f))
      throw new DataError(source, `split names unknown class '${f}' (no folder ${join(imagesDir, f)})`);
  const paths = new Map<string, string>();
  const classes: ClassInfo[] = [];
  const skippedAll: SkippedFiles = {};
  for (const folder of folders) {
    const dir = join(imagesDir, folder);
    const { images, skipped } = await listImages(dir);
    for (const [x, n] of Object.entries(skipped)) skippedAll[x] = (skippedAll[x] ?? 0) + n;
    const imageIds = images.map((f) => {
      const id = `${folder}/${f}`;
      paths.set(id, join(dir, f));
      return id;
    });
    classes.push({
      id: folder,
      name: (opts.className ?? ((s: string) => s.replace(/_/g, ' ')))(folder),
      imageIds,
      source: dir,
      ...(Object.keys(skipped).length && { skipped }),
    });
  }
  const cache = opts.cache ?? new DecodeCache();
  return {
    name: opts.name ?? opts.defaultName,
    split,
    root: imagesDir,
    shape: { height: size, width: size, channels: 3 },
    classes,
    ...(Object.keys(skippedAll).length && { skipped: skippedAll }),
    normalization: opts.normalization ?? MINI_IMAGENET_NORM,
    getImage(imageId) {
      const p = paths.get(imageId);
      if (!p) return Promise.reject(new DataError(imagesDir, `no image '${imageId}' in split '${split}'`));
      return cache.get(`${p}:${size}`, () => decodeImageFile(p, { size, channels: 3 }));
    },
  };
}

/** CUB-200-2011: `root/images/<NNN.Name>/*.jpg`, split JSON arrays of class folders. */
export async function loadCub(
  root: string,
  split: string,
  opts: ImageFolderOptions & { splitsDir?: string } = {},
): Promise<FewShotDataset> {
  const candidates = opts.splitsDir
    ? [opts.splitsDir]
    : [join(root, 'splits', 'cub'), join(dirname(root), 'splits', 'cub')];
  let splitFile: string | undefined;
  for (const d of candidates)
    if (await isFile(join(d, `${split}.json`))) splitFile = join(d, `${split}.json`);
  if (!splitFile)
    throw new DataError(root, `no CUB split file '${split}.json' (looked in ${candidates.join(', ')})`);
  const folders = await readClassListSplit(splitFile, split);
  return folderDataset(join(root, 'images'), folders, split, splitFile, {
    ...opts,
    defaultName: 'cub',
    className: (f) => f.replace(/^\d+\./, '').replace(/_/g, ' '),
  });
}

/** Splits of an image folder without a split file (see `seededClassSplit`). */
export const FOLDER_SPLITS = ['train', 'val', 'test', 'all'] as const;
/** Shares of classes for train / val / test when a folder has no split file (mini-ImageNet's 64/16/20). */
export const SEEDED_SPLIT_SHARES = [0.64, 0.16, 0.2] as const;

/**
 * The documented rule for a folder without a split file: class folder names sorted by code point,
 * shuffled (Fisher-Yates) by `Rng.fromKeys(seed)` (seed 0 unless given), then the first
 * round(64% of n) are `train`, the next round(16% of n) `val`, the rest `test`; with 3 or more classes
 * each split gets at least one. The same on every machine; adding a class can move others.
 */
export function seededClassSplit(
  classFolders: readonly string[],
  seed = 0,
): { train: string[]; val: string[]; test: string[] } {
  const names = [...classFolders].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const order = Rng.fromKeys(seed).shuffle(names);
  const n = order.length;
  let nTrain = Math.round(SEEDED_SPLIT_SHARES[0] * n);
  let nVal = Math.round(SEEDED_SPLIT_SHARES[1] * n);
  if (n >= 3) {
    nVal = Math.max(1, nVal);
    nTrain = Math.max(1, Math.min(nTrain, n - nVal - 1));
  }
  return {
    train: order.slice(0, nTrain),
    val: order.slice(nTrain, nTrain + nVal),
    test: order.slice(nTrain + nVal),
  };
}

async function classFolderNames(root: string): Promise<string[]> {
  try {
    return (await entriesOf(root, 'dir')).filter((name) => !name.startsWith('.')).sort();
  } catch (e) {
    throw new DataError(
      root,
      `cannot list class folders (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

/**
 * A user's folder of class folders. Split file: `opts.splitFile`, else `<root>/splits.json` when present
 * (`{ "train": [...], "val": [...], "test": [...] }`); without one, `train`/`val`/`test` follow
 * `seededClassSplit` (seed `opts.splitSeed`, default 0). Split `all` always holds every class.
 */
export async function loadImageFolder(
  root: string,
  split = 'all',
  opts: FolderDatasetOptions & { splitFile?: string; splitSeed?: number } = {},
): Promise<FewShotDataset> {
  const splitFile =
    opts.splitFile ?? ((await isFile(join(root, 'splits.json'))) ? join(root, 'splits.json') : undefined);
  let folders: string[] | null = null;
  if (split === 'all') folders = null;
  else if (splitFile) folders = await readClassListSplit(splitFile, split);
  else if (split === 'train' || split === 'val' || split === 'test')
    folders = seededClassSplit(await classFolderNames(root), opts.splitSeed)[split];
  else
    throw new DataError(
      root,
      `no split file (splits.json), so the splits are ${FOLDER_SPLITS.join(', ')}, not '${split}'`,
    );
  return folderDataset(root, folders, split, splitFile ?? root, { ...opts, defaultName: basename(root) });
}
