/**
 * Image-folder datasets: one sub-folder per class. Used for CUB-200-2011 (`images/<NNN.Name>/*.jpg` with
 * split JSON files listing class folders) and for users' own data (any folder of class folders, with an
 * optional split file).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { DecodeCache } from './cache.js';
import { readText } from './csv.js';
import { DataError } from './errors.js';
import { decodeImageFile } from './image.js';
import type { ImageFolderOptions } from './mini-imagenet.js';
import { MINI_IMAGENET_NORM, type ClassInfo, type FewShotDataset } from './types.js';

export const IMAGE_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.avif',
  '.bmp',
]);

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

async function listImages(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort();
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
    present = (await readdir(imagesDir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
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
  for (const folder of folders) {
    const dir = join(imagesDir, folder);
    const imageIds = (await listImages(dir)).map((f) => {
      const id = `${folder}/${f}`;
      paths.set(id, join(dir, f));
      return id;
    });
    classes.push({
      id: folder,
      name: (opts.className ?? ((s: string) => s.replace(/_/g, ' ')))(folder),
      imageIds,
      source: dir,
    });
  }
  const cache = opts.cache ?? new DecodeCache();
  return {
    name: opts.name ?? opts.defaultName,
    split,
    root: imagesDir,
    shape: { height: size, width: size, channels: 3 },
    classes,
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

/**
 * A user's folder of class folders. Split file: `opts.splitFile`, else `<root>/splits.json` when present
 * (`{ "train": [...], "val": [...], "test": [...] }`); without one, split `all` holds every class.
 */
export async function loadImageFolder(
  root: string,
  split = 'all',
  opts: FolderDatasetOptions & { splitFile?: string } = {},
): Promise<FewShotDataset> {
  const splitFile =
    opts.splitFile ?? ((await isFile(join(root, 'splits.json'))) ? join(root, 'splits.json') : undefined);
  let folders: string[] | null = null;
  if (splitFile) folders = await readClassListSplit(splitFile, split);
  else if (split !== 'all')
    throw new DataError(root, `no split file (splits.json) so only split 'all' exists, not '${split}'`);
  return folderDataset(root, folders, split, splitFile ?? root, { ...opts, defaultName: basename(root) });
}
