/**
 * Dataset discovery: which datasets a data folder holds, in which format, with per-split counts; and
 * opening one split by name. The default data folder comes from `paths/` (`defaultDataDir`).
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { defaultDataDir } from '../paths/index.js';
import { cifarFormat, cifarSplitsDir, loadCifarFewShot, type CifarVariant } from './cifar.js';
import type { DecodeCache } from './cache.js';
import { entriesOf } from './entries.js';
import { DataError } from './errors.js';
import { FOLDER_SPLITS, loadCub, loadImageFolder } from './folder.js';
import { loadMiniImageNetLayout } from './mini-imagenet.js';
import {
  detectOmniglot,
  loadOmniglot,
  loadOmniglotChars,
  omniglotCharsFromZip,
  type OmniglotSplit,
} from './omniglot.js';
import type { FewShotDataset, NormStats } from './types.js';

export type DatasetFormat =
  'omniglot' | 'omniglot-png-zip' | 'mini-imagenet' | 'cifar-fs' | 'fc100' | 'cub' | 'image-folder';

export interface SplitSummary {
  split: string;
  classes: number;
  images: number;
}

export interface DatasetEntry {
  /** Registry name: the first field of episode ids. */
  name: string;
  format: DatasetFormat;
  path: string;
  splits: string[];
  /** Counts per split (with the loader's default options, e.g. Omniglot rotations on). */
  summary?: SplitSummary[];
  /** Why a split could not be opened (e.g. a bad CSV row); its other splits are still counted. */
  error?: string;
  /** How the splits were made, where that is not obvious (image folders without a split file). */
  note?: string;
  /** Image folders: files not read (unsupported extension), by extension, over every class. */
  skipped?: Record<string, number>;
}

const isDir = (p: string) =>
  stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
const isFile = (p: string) =>
  stat(p).then(
    (s) => s.isFile(),
    () => false,
  );

/** Image side a mini-ImageNet-layout folder is served at: a `-<n>` name suffix (`tiny-imagenet-32`), else 84. */
export function defaultImageSize(folderName: string): number {
  const m = /-(\d{2,3})$/.exec(folderName);
  return m ? Number(m[1]) : 84;
}

async function discoverIn(dir: string, name: string, out: DatasetEntry[]): Promise<void> {
  const om = await detectOmniglot(dir);
  if (om.npz || om.png.images_background || om.png.images_evaluation) {
    const full = om.npz || (om.png.images_background && om.png.images_evaluation);
    out.push({
      name,
      format: 'omniglot',
      path: dir,
      splits: full
        ? ['train', 'val', 'test', 'background', 'evaluation', 'lake-train', 'lake-val']
        : ['background', 'evaluation', 'lake-train', 'lake-val', 'all'],
    });
  }
  if (await isDir(join(dir, 'png'))) {
    for (const f of (await readdir(join(dir, 'png'))).filter((f) => f.endsWith('.zip')).sort()) {
      out.push({
        name: `${name}-${f.replace(/\.zip$/, '').replace(/^images_/, '')}`,
        format: 'omniglot-png-zip',
        path: join(dir, 'png', f),
        splits: ['all'],
      });
    }
  }
  if ((await isDir(join(dir, 'images'))) && (await isFile(join(dir, 'train.csv')))) {
    const splits = [];
    for (const s of ['train', 'val', 'test']) if (await isFile(join(dir, `${s}.csv`))) splits.push(s);
    out.push({ name, format: 'mini-imagenet', path: dir, splits });
  }
  if (await cifarFormat(dir)) {
    for (const v of ['cifar-fs', 'fc100'] as const) {
      if (await cifarSplitsDir(dir, v))
        out.push({ name: v, format: v, path: dir, splits: ['train', 'val', 'test'] });
    }
  }
  if ((await isDir(join(dir, 'images'))) && ((await isFile(join(dir, 'classes.txt'))) || /cub/i.test(name))) {
    if ((await isDir(join(dir, 'splits', 'cub'))) || (await isDir(join(dirname(dir), 'splits', 'cub')))) {
      out.push({ name: 'cub', format: 'cub', path: dir, splits: ['train', 'val', 'test'] });
    }
  }
}

/**
 * Whether `dir` looks like a user's image folder: among its first few non-hidden sub-folders, one holds
 * a non-hidden file (a folder of class folders; files of unsupported formats count, to be reported).
 */
export async function looksLikeImageFolder(dir: string): Promise<boolean> {
  let subs: string[];
  try {
    subs = (await entriesOf(dir, 'dir'))
      .filter((name) => !name.startsWith('.'))
      .sort()
      .slice(0, 5);
  } catch {
    return false;
  }
  for (const s of subs) {
    const files = await readdir(join(dir, s)).catch(() => [] as string[]);
    if (files.some((f) => !f.startsWith('.'))) return true;
  }
  return false;
}

/** Splits of an image folder: those of its `splits.json` (plus `all`), else the seeded rule's. */
async function imageFolderSplits(dir: string): Promise<string[]> {
  const file = join(dir, 'splits.json');
  if (!(await isFile(file))) return [...FOLDER_SPLITS];
  try {
    const j = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (j && typeof j === 'object' && !Array.isArray(j)) return [...Object.keys(j), 'all'];
  } catch (e) {
    throw new DataError(file, `invalid JSON (${(e as Error).message})`);
  }
  return ['all'];
}

/** An image-folder entry for `dir` (by path or found in the data folder). */
export async function imageFolderEntry(dir: string, name: string): Promise<DatasetEntry> {
  const hasFile = await isFile(join(dir, 'splits.json'));
  return {
    name,
    format: 'image-folder',
    path: dir,
    splits: await imageFolderSplits(dir),
    ...(!hasFile && {
      note: 'no splits.json: classes split train/val/test 64/16/20 by the seeded rule (seededClassSplit, seed 0)',
    }),
  };
}

/** Datasets found in `dataDir` and one level below (e.g. `cub/CUB_200_2011`), without counting. */
export async function discoverDatasets(dataDir = defaultDataDir()): Promise<DatasetEntry[]> {
  const out: DatasetEntry[] = [];
  if (!(await isDir(dataDir))) return out;
  // Links are followed: a dataset on another disk is linked into the data folder.
  for (const child of (await entriesOf(dataDir, 'dir')).sort()) {
    if (child === 'splits') continue;
    const before = out.length;
    await discoverIn(join(dataDir, child), child, out);
    if (out.length === before) {
      for (const g of (await entriesOf(join(dataDir, child), 'dir')).sort()) {
        await discoverIn(join(dataDir, child, g), g === 'CUB_200_2011' ? 'cub' : g, out);
      }
      // Nothing known here or one level down: a folder of class folders (even of unsupported files,
      // which are then reported rather than skipped silently).
      if (out.length === before && (await looksLikeImageFolder(join(dataDir, child))))
        out.push(await imageFolderEntry(join(dataDir, child), child));
    }
  }
  return out;
}

/**
 * Fills an entry's class and image counts per split (reads indexes, decodes no image) and, for image
 * folders, the files it does not read, over every split that opens (so that they are reported even where
 * one split fails). A split that fails to open is reported in `error`.
 */
async function countEntry(e: DatasetEntry): Promise<DatasetEntry> {
  e.summary = [];
  const errors: string[] = [];
  const skipped = new Map<string, Readonly<Record<string, number>>>();
  for (const split of e.splits) {
    try {
      const ds = await openEntry(e, split, {});
      for (const c of ds.classes) if (c.skipped) skipped.set(c.source, c.skipped);
      e.summary.push({
        split,
        classes: ds.classes.length,
        images: ds.classes.reduce((n, c) => n + c.imageIds.length, 0),
      });
    } catch (err) {
      errors.push(`${split}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // Per class folder once, however many splits hold it.
  const total: Record<string, number> = {};
  for (const byExt of skipped.values())
    for (const [x, n] of Object.entries(byExt)) total[x] = (total[x] ?? 0) + n;
  if (Object.keys(total).length) e.skipped = total;
  if (errors.length) e.error = errors.join('; ');
  return e;
}

/**
 * Datasets in `dataDir` with class and image counts per split (reads indexes, decodes no image). A split
 * that fails to open is reported in its entry's `error`: one broken dataset never hides the others.
 */
export async function findDatasets(dataDir = defaultDataDir()): Promise<DatasetEntry[]> {
  const entries = await discoverDatasets(dataDir);
  for (const e of entries) await countEntry(e);
  return entries;
}

/**
 * A folder of class folders given by its path (as `train --dataset ./my-images` takes it), counted as
 * `findDatasets` counts the data folder's; its name is the path as given.
 */
export async function findFolderDataset(path: string): Promise<DatasetEntry> {
  if (!(await isDir(path))) throw new DataError(path, 'no such folder (expected one sub-folder per class)');
  return countEntry(await imageFolderEntry(resolve(path), path));
}

export interface OpenOptions {
  dataDir?: string;
  imageSize?: number;
  normalization?: NormStats;
  cache?: DecodeCache;
  /** Omniglot only (default true): rotations as extra classes. */
  rotations?: boolean | readonly number[];
}

async function openEntry(e: DatasetEntry, split: string, opts: OpenOptions): Promise<FewShotDataset> {
  const common = {
    imageSize: opts.imageSize,
    normalization: opts.normalization,
    cache: opts.cache,
    name: e.name,
  };
  switch (e.format) {
    case 'omniglot':
      return loadOmniglot(e.path, split as OmniglotSplit, { ...common, rotations: opts.rotations });
    case 'omniglot-png-zip':
      return omniglotZipDataset(e, opts);
    case 'mini-imagenet':
      return loadMiniImageNetLayout(e.path, split, {
        ...common,
        imageSize: opts.imageSize ?? defaultImageSize(e.name),
      });
    case 'cifar-fs':
    case 'fc100':
      return loadCifarFewShot(e.path, e.format as CifarVariant, split, common);
    case 'cub':
      return loadCub(e.path, split, common);
    case 'image-folder':
      return loadImageFolder(e.path, split, common);
  }
}

async function omniglotZipDataset(e: DatasetEntry, opts: OpenOptions): Promise<FewShotDataset> {
  // A PNG zip on its own (e.g. Lake's images_background_small1.zip): every character it holds, split `all`.
  return loadOmniglotChars(await omniglotCharsFromZip(e.path), e.path, 'all', {
    imageSize: opts.imageSize,
    rotations: opts.rotations,
    normalization: opts.normalization,
    cache: opts.cache,
    name: e.name,
  });
}

/**
 * Opens one split of a dataset by registry name (as listed by `findDatasets`), or of a folder path
 * (then `name` is a path to a user's image folder: one sub-folder per class).
 */
export async function openDataset(
  name: string,
  split: string,
  opts: OpenOptions = {},
): Promise<FewShotDataset> {
  const dataDir = opts.dataDir ?? defaultDataDir();
  const entries = await discoverDatasets(dataDir);
  const e = entries.find((x) => x.name === name);
  if (e) {
    if (!e.splits.includes(split))
      throw new DataError(e.path, `dataset '${name}' has no split '${split}' (has: ${e.splits.join(', ')})`);
    return openEntry(e, split, opts);
  }
  if (await isDir(name)) {
    const entry = await imageFolderEntry(resolve(name), resolve(name));
    if (!entry.splits.includes(split))
      throw new DataError(name, `image folder has no split '${split}' (has: ${entry.splits.join(', ')})`);
    return openEntry(entry, split, opts);
  }
  throw new DataError(
    dataDir,
    `no dataset '${name}' here (found: ${entries.map((x) => x.name).join(', ') || 'none'}); for Omniglot run \`pnpm cli data fetch omniglot\``,
  );
}
