/**
 * CIFAR-FS (Bertinetto et al.) and FC100 (Oreshkin et al.) from the official CIFAR-100 binary distribution
 * (`cifar-100-binary/`: `train.bin`, `test.bin` of records `<coarse><fine><3072 bytes channel-major RGB>`,
 * `fine_label_names.txt`, `coarse_label_names.txt`). Both benchmarks pool train and test images (600 per
 * class) and split the 100 classes: CIFAR-FS by `[superclass, class]` pairs, FC100 by superclass.
 * The Python distribution (`cifar-100-python/`: pickled `train`, `test`, `meta`) is read too.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sharp } from '../io/index.js';
import { DecodeCache } from './cache.js';
import { readText } from './csv.js';
import { DataError } from './errors.js';
import { parsePickle, type NdArray, type PickleValue } from './pickle.js';
import { CIFAR100_NORM, type ClassInfo, type FewShotDataset, type NormStats } from './types.js';
import { PromiseCache } from '../util/index.js';

/** The CIFAR-100 class hierarchy: 20 superclasses of 5 classes each. */
export const CIFAR100_HIERARCHY: Readonly<Record<string, readonly string[]>> = {
  aquatic_mammals: ['beaver', 'dolphin', 'otter', 'seal', 'whale'],
  fish: ['aquarium_fish', 'flatfish', 'ray', 'shark', 'trout'],
  flowers: ['orchid', 'poppy', 'rose', 'sunflower', 'tulip'],
  food_containers: ['bottle', 'bowl', 'can', 'cup', 'plate'],
  fruit_and_vegetables: ['apple', 'mushroom', 'orange', 'pear', 'sweet_pepper'],
  household_electrical_devices: ['clock', 'keyboard', 'lamp', 'telephone', 'television'],
  household_furniture: ['bed', 'chair', 'couch', 'table', 'wardrobe'],
  insects: ['bee', 'beetle', 'butterfly', 'caterpillar', 'cockroach'],
  large_carnivores: ['bear', 'leopard', 'lion', 'tiger', 'wolf'],
  'large_man-made_outdoor_things': ['bridge', 'castle', 'house', 'road', 'skyscraper'],
  large_natural_outdoor_scenes: ['cloud', 'forest', 'mountain', 'plain', 'sea'],
  large_omnivores_and_herbivores: ['camel', 'cattle', 'chimpanzee', 'elephant', 'kangaroo'],
  medium_mammals: ['fox', 'porcupine', 'possum', 'raccoon', 'skunk'],
  'non-insect_invertebrates': ['crab', 'lobster', 'snail', 'spider', 'worm'],
  people: ['baby', 'boy', 'girl', 'man', 'woman'],
  reptiles: ['crocodile', 'dinosaur', 'lizard', 'snake', 'turtle'],
  small_mammals: ['hamster', 'mouse', 'rabbit', 'shrew', 'squirrel'],
  trees: ['maple_tree', 'oak_tree', 'palm_tree', 'pine_tree', 'willow_tree'],
  vehicles_1: ['bicycle', 'bus', 'motorcycle', 'pickup_truck', 'train'],
  vehicles_2: ['lawn_mower', 'rocket', 'streetcar', 'tank', 'tractor'],
};
const SUPER_OF = new Map(
  Object.entries(CIFAR100_HIERARCHY).flatMap(([s, cs]) => cs.map((c) => [c, s] as const)),
);

export type CifarVariant = 'cifar-fs' | 'fc100';
export const CIFAR_RECORD = 2 + 3072;

async function readJson(path: string, what: string): Promise<unknown> {
  const text = await readText(path, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new DataError(path, `invalid JSON (${(e as Error).message})`);
  }
}

/** A CIFAR-FS split file: `[[superclass, class], ...]`; returns the class names, checked against CIFAR-100. */
export async function readCifarFsSplit(path: string): Promise<string[]> {
  const j = await readJson(path, 'CIFAR-FS split file');
  if (!Array.isArray(j)) throw new DataError(path, 'expected a JSON array of [superclass, class] pairs');
  return j.map((pair: unknown, i) => {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== 'string' ||
      typeof pair[1] !== 'string'
    ) {
      throw new DataError(path, `entry ${i}: expected [superclass, class], got ${JSON.stringify(pair)}`);
    }
    const [sup, cls] = pair as [string, string];
    const known = SUPER_OF.get(cls);
    if (!known)
      throw new DataError(path, `entry ${i}: split names unknown class '${cls}' (not a CIFAR-100 class)`);
    if (known !== sup)
      throw new DataError(path, `entry ${i}: class '${cls}' belongs to superclass '${known}', not '${sup}'`);
    return cls;
  });
}

/** An FC100 split file: `[superclass, ...]`; returns the class names of those superclasses. */
export async function readFc100Split(path: string): Promise<string[]> {
  const j = await readJson(path, 'FC100 split file');
  if (!Array.isArray(j)) throw new DataError(path, 'expected a JSON array of superclass names');
  return j.flatMap((sup: unknown, i) => {
    const classes = typeof sup === 'string' ? CIFAR100_HIERARCHY[sup] : undefined;
    if (!classes)
      throw new DataError(path, `entry ${i}: split names unknown superclass ${JSON.stringify(sup)}`);
    return [...classes];
  });
}

/** One CIFAR-100 file (binary `.bin` or Python pickle): labels and pixel records. */
export interface CifarBinary {
  file: string;
  count: number;
  coarse: Uint8Array;
  fine: Uint8Array;
  /** All records, as on disk: image i's 3072 channel-major bytes start at `i * stride + skip`. */
  records: Uint8Array;
  stride: number;
  skip: number;
}

const binMemo = new PromiseCache<string, CifarBinary>();

/** Reads one CIFAR-100 `.bin` file once per process and checks its record structure. */
export function readCifarBinary(path: string): Promise<CifarBinary> {
  return binMemo.get(path, async () => {
    let records: Uint8Array;
    try {
      records = await readFile(path);
    } catch (e) {
      throw new DataError(
        path,
        `cannot read CIFAR-100 binary file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    if (records.length === 0 || records.length % CIFAR_RECORD !== 0) {
      throw new DataError(
        path,
        `corrupt CIFAR-100 binary: ${records.length} bytes is not a whole number of ${CIFAR_RECORD}-byte records`,
      );
    }
    const count = records.length / CIFAR_RECORD;
    const coarse = new Uint8Array(count);
    const fine = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      coarse[i] = records[i * CIFAR_RECORD];
      fine[i] = records[i * CIFAR_RECORD + 1];
      if (coarse[i] >= 20 || fine[i] >= 100) {
        throw new DataError(
          path,
          `corrupt CIFAR-100 binary: record ${i} has labels coarse=${coarse[i]} fine=${fine[i]} (expected < 20, < 100)`,
        );
      }
    }
    return { file: path, count, coarse, fine, records, stride: CIFAR_RECORD, skip: 2 };
  });
}

const pyMemo = new PromiseCache<string, CifarBinary>();

async function readPickleFile(path: string): Promise<Map<string, PickleValue>> {
  let buf: Uint8Array;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new DataError(
      path,
      `cannot read CIFAR-100 Python file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  let v: PickleValue;
  try {
    v = parsePickle(buf, path);
  } catch (e) {
    throw new DataError(
      path,
      `corrupt CIFAR-100 Python pickle (${(e as Error).message.replace(`${path}: `, '')})`,
    );
  }
  if (!(v instanceof Map)) throw new DataError(path, 'expected a pickled dict');
  return v;
}

function labelList(
  d: Map<string, PickleValue>,
  k: string,
  path: string,
  count: number,
  max: number,
): Uint8Array {
  const v = d.get(k);
  if (!Array.isArray(v) || v.length !== count)
    throw new DataError(path, `'${k}' should be a list of ${count} labels`);
  return Uint8Array.from(v, (x, i) => {
    if (typeof x !== 'number' || x < 0 || x >= max)
      throw new DataError(path, `'${k}'[${i}] = ${String(x)} is not a label < ${max}`);
    return x;
  });
}

/** Reads one file of the CIFAR-100 Python distribution (`train` / `test`: a pickled dict) once per process. */
export function readCifarPython(path: string): Promise<CifarBinary> {
  return pyMemo.get(path, async () => {
    const d = await readPickleFile(path);
    const data = d.get('data') as NdArray | undefined;
    if (
      !data ||
      data.kind !== 'ndarray' ||
      data.dtype !== 'u1' ||
      data.shape.length !== 2 ||
      data.shape[1] !== 3072
    ) {
      throw new DataError(path, `'data' should be a uint8 array of shape (N, 3072)`);
    }
    const count = data.shape[0];
    if (data.data.length !== count * 3072)
      throw new DataError(path, `'data' holds ${data.data.length} bytes, expected ${count * 3072}`);
    return {
      file: path,
      count,
      fine: labelList(d, 'fine_labels', path, count, 100),
      coarse: labelList(d, 'coarse_labels', path, count, 20),
      records: data.data,
      stride: 3072,
      skip: 0,
    };
  });
}

/** `fine_label_names` and `coarse_label_names` from the Python distribution's `meta`. */
async function readPythonLabelNames(path: string): Promise<[string[], string[]]> {
  const d = await readPickleFile(path);
  const names = (k: string, n: number) => {
    const v = d.get(k);
    if (!Array.isArray(v) || v.length !== n)
      throw new DataError(path, `'${k}' should be a list of ${n} names`);
    return v.map((x) => (x instanceof Uint8Array ? new TextDecoder('latin1').decode(x) : String(x)));
  };
  return [names('fine_label_names', 100), names('coarse_label_names', 20)];
}

/** Which CIFAR-100 distribution a folder holds. */
export async function cifarFormat(dir: string): Promise<'binary' | 'python' | null> {
  if (await firstExisting([join(dir, 'train.bin')])) return 'binary';
  if ((await firstExisting([join(dir, 'train')])) && (await firstExisting([join(dir, 'meta')])))
    return 'python';
  return null;
}

async function readLabelNames(path: string, expected: number): Promise<string[]> {
  const names = (await readText(path, 'CIFAR-100 label names'))
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length !== expected)
    throw new DataError(path, `expected ${expected} label names, found ${names.length}`);
  return names;
}

/** Image `index` of a CIFAR file, channel-major RGB (3x32x32) on disk, as HWC. */
export function cifarRecordToHwc(set: CifarBinary, index: number): Uint8Array {
  const start = index * set.stride + set.skip;
  const src = set.records.subarray(start, start + 3072);
  const out = new Uint8Array(3072);
  for (let p = 0; p < 1024; p++) {
    out[p * 3] = src[p];
    out[p * 3 + 1] = src[1024 + p];
    out[p * 3 + 2] = src[2048 + p];
  }
  return out;
}

export interface CifarOptions {
  /** Side of the returned images (default 32, CIFAR's own). */
  imageSize?: number;
  /** Folder with the split JSON files (default: `<binDir>/splits/<variant>`, else `<binDir>/../splits/<variant>`). */
  splitsDir?: string;
  normalization?: NormStats;
  cache?: DecodeCache;
  /** Registry name used in episode ids (default: the variant). */
  name?: string;
}

async function firstExisting(paths: string[]): Promise<string | undefined> {
  for (const p of paths)
    if (
      await stat(p).then(
        () => true,
        () => false,
      )
    )
      return p;
  return undefined;
}

export async function cifarSplitsDir(binDir: string, variant: CifarVariant): Promise<string | undefined> {
  return firstExisting([join(binDir, 'splits', variant), join(dirname(binDir), 'splits', variant)]);
}

/** CIFAR-FS or FC100 from `cifar-100-binary/` (or the Python distribution `cifar-100-python/`) and the split JSON files. */
export async function loadCifarFewShot(
  binDir: string,
  variant: CifarVariant,
  split: string,
  opts: CifarOptions = {},
): Promise<FewShotDataset> {
  const size = opts.imageSize ?? 32;
  const splitsDir = opts.splitsDir ?? (await cifarSplitsDir(binDir, variant));
  if (!splitsDir)
    throw new DataError(
      binDir,
      `no ${variant} split files: expected ${join(binDir, 'splits', variant)}/{train,val,test}.json`,
    );
  const splitFile = join(splitsDir, `${split}.json`);
  const wanted = variant === 'cifar-fs' ? await readCifarFsSplit(splitFile) : await readFc100Split(splitFile);
  const format = await cifarFormat(binDir);
  let fineNames: string[];
  let coarseNames: string[] | null;
  let bins: CifarBinary[];
  if (format === 'python') {
    [fineNames, coarseNames] = await readPythonLabelNames(join(binDir, 'meta'));
    bins = await Promise.all(['train', 'test'].map((f) => readCifarPython(join(binDir, f))));
  } else {
    [fineNames, coarseNames] = await Promise.all([
      readLabelNames(join(binDir, 'fine_label_names.txt'), 100),
      readLabelNames(join(binDir, 'coarse_label_names.txt'), 20).catch(() => null),
    ]);
    bins = await Promise.all(['train.bin', 'test.bin'].map((f) => readCifarBinary(join(binDir, f))));
  }
  const fineIndex = new Map(fineNames.map((n, i) => [n, i]));
  const lookup = new Map<string, { bin: CifarBinary; index: number }>();
  const classes: ClassInfo[] = wanted.map((name) => {
    const fi = fineIndex.get(name);
    if (fi === undefined)
      throw new DataError(
        splitFile,
        `split names unknown class '${name}' (not in ${join(binDir, 'fine_label_names.txt')})`,
      );
    const imageIds: string[] = [];
    for (const bin of bins) {
      const stem = /test(\.bin)?$/.test(bin.file) ? 'test' : 'train';
      for (let i = 0; i < bin.count; i++) {
        if (bin.fine[i] !== fi) continue;
        const id = `${stem}/${i}`;
        if (coarseNames && coarseNames[bin.coarse[i]] !== SUPER_OF.get(name)) {
          throw new DataError(
            bin.file,
            `record ${i}: class '${name}' has superclass '${coarseNames[bin.coarse[i]]}', expected '${SUPER_OF.get(name)}'`,
          );
        }
        imageIds.push(id);
        lookup.set(id, { bin, index: i });
      }
    }
    return { id: name, name: name.replace(/_/g, ' '), imageIds, source: splitFile };
  });
  const cache = opts.cache ?? new DecodeCache();
  return {
    name: opts.name ?? variant,
    split,
    root: binDir,
    shape: { height: size, width: size, channels: 3 },
    classes,
    normalization: opts.normalization ?? CIFAR100_NORM,
    getImage(imageId) {
      const e = lookup.get(imageId);
      if (!e) return Promise.reject(new DataError(splitFile, `no image '${imageId}' in this split`));
      const hwc = cifarRecordToHwc(e.bin, e.index);
      if (size === 32) return Promise.resolve(hwc);
      return cache.get(`${e.bin.file}#${e.index}:${size}`, async () => {
        const out = await sharp()(hwc, { raw: { width: 32, height: 32, channels: 3 } })
          .resize(size, size, { fit: 'fill' })
          .raw()
          .toBuffer();
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      });
    },
  };
}
