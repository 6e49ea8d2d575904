/**
 * Omniglot (Lake et al., 2015), from either on-disk form:
 * - the `.npz` pair (`images_background.npz`, `images_evaluation.npz`; `images` bool (C, 20, 105, 105) with
 *   True = white background) plus `class_map.csv` for alphabet and character names;
 * - Lake's PNG layout `<set>/<Alphabet>/characterNN/<charId>_<drawer>.png`, as folders or as the zips.
 * Both give identical ids and bytes: white background (255), black ink (0), as in the PNGs.
 * Standard protocol: Vinyals splits, 28x28, rotations by 90/180/270 degrees as extra classes.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { unzipSync } from 'fflate';
import { readFile } from 'node:fs/promises';
import { readNpz } from '../io/index.js';
import { DecodeCache } from './cache.js';
import { readCsv, readText } from './csv.js';
import { entriesOf } from './entries.js';
import { DataError } from './errors.js';
import { decodeImage, decodeImageFile } from './image.js';
import { resizeAreaGrey, rotateSquare } from './pixels.js';
import { REFERENCE_NORM, type ClassInfo, type FewShotDataset, type NormStats } from './types.js';
import { PromiseCache } from '../util/index.js';

export const OMNIGLOT_SETS = ['images_background', 'images_evaluation'] as const;
export type OmniglotSet = (typeof OMNIGLOT_SETS)[number];
/**
 * `train`/`val`/`test`: Vinyals et al.; `background`/`evaluation`: Lake's (30 / 20 alphabets);
 * `lake-train`/`lake-val`: the background set cut for model selection (`lakeSplitOf`); `all`: every
 * character found.
 */
export type OmniglotSplit =
  'train' | 'val' | 'test' | 'background' | 'evaluation' | 'lake-train' | 'lake-val' | 'all';
export const OMNIGLOT_SPLITS: readonly OmniglotSplit[] = [
  'train',
  'val',
  'test',
  'background',
  'evaluation',
  'lake-train',
  'lake-val',
  'all',
];

/** Splits of each scheme for training, validation and test (`--omniglot-split`). */
export const OMNIGLOT_SCHEMES = {
  vinyals: { train: 'train', val: 'val', test: 'test' },
  lake: { train: 'lake-train', val: 'lake-val', test: 'evaluation' },
} as const satisfies Record<string, Record<'train' | 'val' | 'test', OmniglotSplit>>;
export type OmniglotScheme = keyof typeof OMNIGLOT_SCHEMES;

/**
 * Lake's split with model selection: a background character whose number is a multiple of 10
 * (`character10`, `character20`, ...) is held out for validation (`lake-val`), every other background
 * character trains (`lake-train`), so all 30 background alphabets train and the 20 evaluation alphabets
 * stay untouched for the test. Null for an evaluation character.
 */
export function lakeSplitOf(set: string, character: string): 'lake-train' | 'lake-val' | null {
  if (set !== 'images_background') return null;
  const n = Number(/(\d+)$/.exec(character)?.[1]);
  return Number.isInteger(n) && n % 10 === 0 ? 'lake-val' : 'lake-train';
}
const RAW = 105;

export interface OmniglotOptions {
  /** Side of the returned images (default 28). */
  imageSize?: number;
  /** Rotations (degrees) added as extra classes; `true` = [0, 90, 180, 270] (default), `false` = [0]. */
  rotations?: boolean | readonly number[];
  /** `auto` (default) prefers the npz files when present. */
  source?: 'auto' | 'npz' | 'png';
  /**
   * Folder with `{train,val,test}.txt` (default `<root>/splits/vinyals`; when that has no files, the
   * split is computed by `vinyalsSplitOf`).
   */
  splitsDir?: string;
  normalization?: NormStats;
  cache?: DecodeCache;
  /** Registry name used in episode ids (default `omniglot`). */
  name?: string;
}

/** One Omniglot character with a way to read its 105x105 grey drawings. */
export interface OmniglotChar {
  alphabet: string;
  character: string;
  /** Lake's 1-based character id (1..1623), the number in the PNG file names. */
  charId: number;
  set: string;
  /** Where it comes from, for errors. */
  source: string;
  /** Drawer numbers (1-based) present. */
  drawers: number[];
  /** 105x105 grey uint8, 255 = background. */
  raw(drawer: number): Promise<Uint8Array>;
  /** Fast path of the npz form: 105x105 of 0/1 (1 = background), a view into the array (do not write). */
  bits?(drawer: number): Promise<Uint8Array>;
}

// --- npz ---------------------------------------------------------------------------------------------

interface NpzSet {
  images: Uint8Array;
  classes: number;
  drawers: number;
}
const npzMemo = new PromiseCache<string, NpzSet>();

/** Reads one Omniglot npz once per process (inflating 200 MB of bools takes a second or two). */
export function readOmniglotNpz(path: string): Promise<NpzSet> {
  return npzMemo.get(path, async () => {
    const arrays = await readNpz(path, ['images']);
    const a = arrays.get('images')!;
    if (a.dtype !== 'bool' && a.dtype !== 'uint8')
      throw new DataError(path, `'images' has dtype ${a.dtype}, expected bool`);
    if (a.shape.length !== 4 || a.shape[2] !== RAW || a.shape[3] !== RAW) {
      throw new DataError(path, `'images' has shape (${a.shape.join(', ')}), expected (C, 20, 105, 105)`);
    }
    // numpy writes True as 1, but some writers leave other non-zero bytes (this file has 255): make it 0/1.
    const images = a.data as Uint8Array;
    for (let i = 0; i < images.length; i++) if (images[i] > 1) images[i] = 1;
    return { images, classes: a.shape[0], drawers: a.shape[1] };
  });
}

async function npzChars(root: string): Promise<OmniglotChar[]> {
  const mapPath = join(root, 'class_map.csv');
  const rows = await readCsv(mapPath);
  const header = rows.shift()?.cells ?? [];
  const col = (n: string) => {
    const i = header.indexOf(n);
    if (i < 0) throw new DataError(mapPath, `missing column '${n}' (header: ${header.join(',')})`);
    return i;
  };
  const [cFile, cIdx, cChar, cAlpha, cName] = [
    'npz_file',
    'class_index',
    'omniglot_char_id',
    'alphabet',
    'character',
  ].map(col);
  const chars: OmniglotChar[] = [];
  for (const r of rows) {
    const file = join(root, r.cells[cFile]);
    const index = Number(r.cells[cIdx]);
    const set = r.cells[cFile].replace(/\.npz$/, '');
    chars.push({
      alphabet: r.cells[cAlpha],
      character: r.cells[cName],
      charId: Number(r.cells[cChar]),
      set,
      source: `${file}[${index}]`,
      drawers: [],
      bits: async (drawer) => {
        const npz = await readOmniglotNpz(file);
        if (index >= npz.classes)
          throw new DataError(
            mapPath,
            `line ${r.line}: class_index ${index} is beyond the ${npz.classes} classes of ${file}`,
          );
        const off = (index * npz.drawers + drawer - 1) * RAW * RAW;
        return npz.images.subarray(off, off + RAW * RAW);
      },
      async raw(drawer) {
        return (await this.bits!(drawer)).map((b) => (b ? 255 : 0)); // True = background = white
      },
    });
  }
  // Drawer counts from the npz headers would need inflating them; Omniglot always has 20.
  for (const c of chars) c.drawers = Array.from({ length: 20 }, (_, i) => i + 1);
  return chars;
}

// --- PNG layout ---------------------------------------------------------------------------------------

const PNG_NAME = /^(\d{4})_(\d{2})\.png$/;

/** Characters of a PNG-layout zip (`<set>/<Alphabet>/characterNN/*.png`); the set name is the top folder. */
export async function omniglotCharsFromZip(zipPath: string): Promise<OmniglotChar[]> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(await readFile(zipPath), { filter: (f) => f.name.endsWith('.png') });
  } catch (e) {
    throw new DataError(zipPath, `cannot read Omniglot zip (${(e as Error).message})`);
  }
  const byChar = new Map<string, { parts: string[]; pngs: Map<number, Uint8Array>; charId: number }>();
  for (const [name, data] of Object.entries(files)) {
    const parts = name.split('/');
    const m = PNG_NAME.exec(parts[parts.length - 1]);
    if (parts.length < 4 || !m) continue;
    const key = parts.slice(0, -1).join('/');
    let c = byChar.get(key);
    if (!c) byChar.set(key, (c = { parts: parts.slice(-4, -1), pngs: new Map(), charId: Number(m[1]) }));
    c.pngs.set(Number(m[2]), data);
  }
  return [...byChar.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, c]) => ({
      set: c.parts[0],
      alphabet: c.parts[1],
      character: c.parts[2],
      charId: c.charId,
      source: `${zipPath}:${key}`,
      drawers: [...c.pngs.keys()].sort((a, b) => a - b),
      raw: (d: number) =>
        decodeImage(
          c.pngs.get(d)!,
          `${zipPath}:${key}/${String(c.charId).padStart(4, '0')}_${String(d).padStart(2, '0')}.png`,
          { size: RAW, channels: 1 },
        ),
    }));
}

/** Characters of an unzipped set folder (`<setDir>/<Alphabet>/characterNN/*.png`). */
export async function omniglotCharsFromDir(setDir: string): Promise<OmniglotChar[]> {
  const chars: OmniglotChar[] = [];
  const set = basename(setDir);
  for (const alphabet of (await listDirs(setDir)).sort()) {
    for (const character of (await listDirs(join(setDir, alphabet))).sort()) {
      const dir = join(setDir, alphabet, character);
      const pngs = (await readdir(dir)).filter((f) => PNG_NAME.test(f)).sort();
      if (!pngs.length) throw new DataError(dir, 'character folder holds no <charId>_<drawer>.png images');
      const charId = Number(PNG_NAME.exec(pngs[0])![1]);
      chars.push({
        set,
        alphabet,
        character,
        charId,
        source: dir,
        drawers: pngs.map((f) => Number(PNG_NAME.exec(f)![2])),
        raw: (d) =>
          decodeImageFile(join(dir, `${String(charId).padStart(4, '0')}_${String(d).padStart(2, '0')}.png`), {
            size: RAW,
            channels: 1,
          }),
      });
    }
  }
  return chars;
}

async function listDirs(dir: string): Promise<string[]> {
  try {
    return await entriesOf(dir, 'dir');
  } catch (e) {
    throw new DataError(
      dir,
      `cannot list folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Which Omniglot forms `root` holds. */
export async function detectOmniglot(
  root: string,
): Promise<{ npz: boolean; png: Record<OmniglotSet, string | null> }> {
  const npz =
    (await exists(join(root, 'class_map.csv'))) && (await exists(join(root, 'images_background.npz')));
  const png = {} as Record<OmniglotSet, string | null>;
  for (const s of OMNIGLOT_SETS) {
    png[s] = (await exists(join(root, s)))
      ? join(root, s)
      : (await exists(join(root, `${s}.zip`)))
        ? join(root, `${s}.zip`)
        : null;
  }
  return { npz, png };
}

/** All characters under an Omniglot root, from the npz files or the PNG layout. */
export async function readOmniglotChars(
  root: string,
  source: 'auto' | 'npz' | 'png' = 'auto',
): Promise<OmniglotChar[]> {
  const found = await detectOmniglot(root);
  if (source !== 'png' && found.npz) return npzChars(root);
  if (source === 'npz')
    throw new DataError(root, 'no Omniglot npz files (images_background.npz + class_map.csv)');
  const chars: OmniglotChar[] = [];
  for (const s of OMNIGLOT_SETS) {
    const p = found.png[s];
    if (p)
      chars.push(...(p.endsWith('.zip') ? await omniglotCharsFromZip(p) : await omniglotCharsFromDir(p)));
  }
  if (!chars.length) {
    throw new DataError(
      root,
      'no Omniglot data: expected images_{background,evaluation}.npz with class_map.csv, or the PNG layout ' +
        'images_{background,evaluation}/<Alphabet>/characterNN/*.png (folders or .zip); `pnpm cli data fetch omniglot` downloads it',
    );
  }
  return chars;
}

// --- splits and the dataset ---------------------------------------------------------------------------

/** Parses a Vinyals split file: `Alphabet/characterNN` or `Alphabet/characterNN/rot090` per line. */
export async function readVinyalsSplit(
  path: string,
): Promise<{ line: number; char: string; rotation: number | null }[]> {
  const text = await readText(path, 'Omniglot split file');
  const out: { line: number; char: string; rotation: number | null }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const l = raw.trim();
    if (!l) return;
    const parts = l.split('/');
    if (parts.length < 2 || parts.length > 3)
      throw new DataError(path, `line ${i + 1}: expected 'Alphabet/characterNN[/rotDDD]', got '${l}'`);
    let rotation: number | null = null;
    if (parts.length === 3) {
      const m = /^rot(\d{3})$/.exec(parts[2]);
      if (!m)
        throw new DataError(
          path,
          `line ${i + 1}: bad rotation '${parts[2]}' (expected rot000, rot090, rot180 or rot270)`,
        );
      rotation = Number(m[1]);
    }
    out.push({ line: i + 1, char: `${parts[0]}/${parts[1]}`, rotation });
  });
  return out;
}

const VINYALS_VAL = new Set(['Armenian', 'Bengali', 'Early_Aramaic', 'Hebrew', 'Mkhedruli_(Georgian)']);
const VINYALS_TEST = new Set(
  'Kannada Keble Malayalam Manipuri Mongolian Old_Church_Slavonic_(Cyrillic) Oriya Sylheti Syriac_(Serto) Tengwar Tibetan ULOG'.split(
    ' ',
  ),
);

/**
 * The Vinyals split of one character, by rule, for copies without the split files (e.g. fresh from
 * `pnpm cli data fetch omniglot`): whole alphabets, except Gurmukhi, whose characters 42+ are test.
 * Checked against the published split files in the tests.
 */
export function vinyalsSplitOf(alphabet: string, character: string): 'train' | 'val' | 'test' {
  if (VINYALS_VAL.has(alphabet)) return 'val';
  if (VINYALS_TEST.has(alphabet)) return 'test';
  if (alphabet === 'Gurmukhi' && Number(character.replace(/^character/, '')) >= 42) return 'test';
  return 'train';
}

function rotationList(r: OmniglotOptions['rotations']): number[] {
  const list = r === undefined || r === true ? [0, 90, 180, 270] : r === false ? [0] : [...r];
  for (const d of list)
    if (d % 90 !== 0) throw new Error(`Omniglot rotations must be multiples of 90 degrees, got ${d}`);
  return list;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const rotSuffix = (deg: number) => (deg ? `@rot${deg}` : '');

/** One split of the Omniglot folder `root` (npz files or PNG layout). */
export async function loadOmniglot(
  root: string,
  split: OmniglotSplit,
  opts: OmniglotOptions = {},
): Promise<FewShotDataset> {
  if (!OMNIGLOT_SPLITS.includes(split))
    throw new Error(`unknown Omniglot split '${split}' (have: ${OMNIGLOT_SPLITS.join(', ')})`);
  return loadOmniglotChars(await readOmniglotChars(root, opts.source ?? 'auto'), root, split, opts);
}

/** A dataset over given characters (e.g. from one PNG zip); Vinyals splits are read from `<root>/splits/vinyals`. */
export async function loadOmniglotChars(
  chars: OmniglotChar[],
  root: string,
  split: OmniglotSplit,
  opts: OmniglotOptions = {},
): Promise<FewShotDataset> {
  const size = opts.imageSize ?? 28;
  const byKey = new Map(chars.map((c) => [`${c.alphabet}/${c.character}`, c]));
  let chosen: { char: OmniglotChar; rotations: number[] }[];
  const rotations = rotationList(opts.rotations);
  if (split === 'train' || split === 'val' || split === 'test') {
    const file = join(opts.splitsDir ?? join(root, 'splits', 'vinyals'), `${split}.txt`);
    const haveFile = await exists(file);
    if (!haveFile && opts.splitsDir) await readText(file, 'Omniglot split file'); // names the missing file
    const entries = haveFile
      ? await readVinyalsSplit(file)
      : chars
          .filter((c) => vinyalsSplitOf(c.alphabet, c.character) === split)
          .map((c) => ({ line: 0, char: `${c.alphabet}/${c.character}`, rotation: null }));
    const merged = new Map<string, { char: OmniglotChar; rotations: number[] }>();
    for (const e of entries) {
      const char = byKey.get(e.char);
      if (!char)
        throw new DataError(
          file,
          `line ${e.line}: split names unknown class '${e.char}' (not among the ${chars.length} characters found in ${root})`,
        );
      const m = merged.get(e.char) ?? { char, rotations: [] };
      if (e.rotation === null) m.rotations.push(...rotations);
      else m.rotations.push(e.rotation);
      merged.set(e.char, m);
    }
    chosen = [...merged.values()];
  } else if (split === 'lake-train' || split === 'lake-val') {
    chosen = chars
      .filter((c) => lakeSplitOf(c.set, c.character) === split)
      .map((char) => ({ char, rotations }));
  } else {
    const set =
      split === 'background' ? 'images_background' : split === 'evaluation' ? 'images_evaluation' : null;
    chosen = chars.filter((c) => set === null || c.set === set).map((char) => ({ char, rotations }));
  }

  const lookup = new Map<string, { char: OmniglotChar; drawer: number; rot: number }>();
  const classes: ClassInfo[] = [];
  for (const { char, rotations: rots } of chosen) {
    for (const rot of rots) {
      const base = `${char.alphabet}/${char.character}`;
      const imageIds = char.drawers.map((d) => {
        const id = `${base}/${pad(char.charId, 4)}_${pad(d, 2)}${rotSuffix(rot)}`;
        lookup.set(id, { char, drawer: d, rot });
        return id;
      });
      const name = `${char.alphabet.replace(/_/g, ' ')}, ${char.character}${rot ? `, rotated ${rot}°` : ''}`;
      classes.push({
        id: base + rotSuffix(rot),
        name,
        imageIds,
        source: char.source,
        // Lake's one-shot task: 20 upright characters of one alphabet. Rotated copies, extra classes for
        // the standard protocol, belong to no group.
        ...(rot === 0 ? { group: char.alphabet } : {}),
      });
    }
  }
  const cache = opts.cache ?? new DecodeCache();
  return {
    name: opts.name ?? 'omniglot',
    split,
    root,
    shape: { height: size, width: size, channels: 1 },
    classes,
    input: { channels: 1, resize: 'omniglot' },
    normalization: opts.normalization ?? REFERENCE_NORM,
    getImage(imageId) {
      const e = lookup.get(imageId);
      if (!e)
        return Promise.reject(new DataError(root, `no image '${imageId}' in Omniglot split '${split}'`));
      // Rotations share one cached upright image; rotating a small image costs less than a lookup miss.
      const upright = () =>
        cache.get(`omniglot:${root}:${size}:${e.char.charId}_${e.drawer}`, async () =>
          e.char.bits
            ? resizeAreaGrey(await e.char.bits(e.drawer), RAW, RAW, size, size, 255)
            : resizeAreaGrey(await e.char.raw(e.drawer), RAW, RAW, size, size),
        );
      if (e.rot === 0) return upright();
      return cache.get(`omniglot:${root}:${size}:${imageId}`, async () =>
        rotateSquare(await upright(), size, 1, e.rot / 90),
      );
    },
  };
}
