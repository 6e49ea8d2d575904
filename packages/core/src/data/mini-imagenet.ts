/**
 * The mini-ImageNet layout (Ravi & Larochelle): `images/` plus `{train,val,test}.csv` with header
 * `filename,label`; optional `class_names.csv` (`label,name`) for readable names. Also used by
 * `tiny-imagenet-32` (kept at 32x32).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DecodeCache } from './cache.js';
import { readCsv, type CsvRow } from './csv.js';
import { DataError } from './errors.js';
import { decodeImageFile } from './image.js';
import { MINI_IMAGENET_NORM, type ClassInfo, type FewShotDataset, type NormStats } from './types.js';

export interface ImageFolderOptions {
  /** Side of the returned images (default 84). */
  imageSize?: number;
  normalization?: NormStats;
  cache?: DecodeCache;
  /** Registry name used in episode ids (default: the folder name). */
  name?: string;
}

/** A split CSV of the mini-ImageNet form: classes in order of first appearance, with their files. */
export interface LabelledFiles {
  file: string;
  classes: { label: string; files: { filename: string; line: number }[] }[];
}

/** Parses `filename,label` rows (header required) into classes. */
export async function readFilenameLabelCsv(path: string): Promise<LabelledFiles> {
  const rows = await readCsv(path);
  return groupFilenameLabel(rows, path);
}

export function groupFilenameLabel(rows: CsvRow[], path: string): LabelledFiles {
  const header = rows.shift();
  if (!header || header.cells[0] !== 'filename' || header.cells[1] !== 'label') {
    throw new DataError(path, `expected header 'filename,label', got '${header?.cells.join(',') ?? ''}'`);
  }
  const byLabel = new Map<string, { filename: string; line: number }[]>();
  for (const r of rows) {
    if (r.cells.length < 2 || !r.cells[0] || !r.cells[1])
      throw new DataError(path, `line ${r.line}: expected 'filename,label', got '${r.cells.join(',')}'`);
    const [filename, label] = r.cells;
    let list = byLabel.get(label);
    if (!list) byLabel.set(label, (list = []));
    list.push({ filename, line: r.line });
  }
  return { file: path, classes: [...byLabel.entries()].map(([label, files]) => ({ label, files })) };
}

/** `label -> name` from `class_names.csv` (`label,name`), or an empty map when absent. */
export async function readClassNames(path: string): Promise<Map<string, string>> {
  let rows: CsvRow[];
  try {
    rows = await readCsv(path);
  } catch {
    return new Map();
  }
  rows.shift();
  return new Map(rows.filter((r) => r.cells.length >= 2).map((r) => [r.cells[0], r.cells[1]]));
}

export async function loadMiniImageNetLayout(
  root: string,
  split: string,
  opts: ImageFolderOptions = {},
): Promise<FewShotDataset> {
  const size = opts.imageSize ?? 84;
  const csvPath = join(root, `${split}.csv`);
  const imagesDir = join(root, 'images');
  const [parsed, names, present] = await Promise.all([
    readFilenameLabelCsv(csvPath),
    readClassNames(join(root, 'class_names.csv')),
    readdir(imagesDir).then(
      (f) => new Set(f),
      (e: NodeJS.ErrnoException) => {
        throw new DataError(imagesDir, `cannot list images folder (${e.code ?? e.message})`);
      },
    ),
  ]);
  const paths = new Map<string, string>();
  const classes: ClassInfo[] = parsed.classes.map(({ label, files }) => {
    for (const f of files) {
      if (!present.has(f.filename))
        throw new DataError(
          csvPath,
          `line ${f.line}: image file '${f.filename}' is absent from ${imagesDir}`,
        );
      paths.set(f.filename, join(imagesDir, f.filename));
    }
    return {
      id: label,
      name: names.get(label) ?? label,
      imageIds: files.map((f) => f.filename),
      source: csvPath,
    };
  });
  const cache = opts.cache ?? new DecodeCache();
  return {
    name: opts.name ?? root.split(/[\\/]/).filter(Boolean).pop() ?? 'mini-imagenet',
    split,
    root,
    shape: { height: size, width: size, channels: 3 },
    classes,
    normalization: opts.normalization ?? MINI_IMAGENET_NORM,
    getImage(imageId) {
      const p = paths.get(imageId);
      if (!p) return Promise.reject(new DataError(csvPath, `no image '${imageId}' in this split`));
      return cache.get(`${p}:${size}`, () => decodeImageFile(p, { size, channels: 3 }));
    },
  };
}
