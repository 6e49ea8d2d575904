/**
 * `pnpm cli data fetch omniglot`: downloads Lake's official archives, checks them, unpacks the PNG layout into
 * `<dataDir>/omniglot/images_{background,evaluation}/`. Offline, it says exactly where to place the files.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { writeFileAtomic } from '../io/index.js';
import { DataError } from './errors.js';
import { detectOmniglot } from './omniglot.js';

export interface ArchiveSpec {
  /** File name, e.g. `images_background.zip`; it unpacks to a folder of the same stem. */
  file: string;
  url: string;
  /** Expected SHA-256 (hex). When unknown, `md5` is checked and the SHA-256 is pinned in `<file>.sha256`. */
  sha256?: string;
  md5?: string;
}

const LAKE = 'https://github.com/brendenlake/omniglot/raw/master/python';
/**
 * The MD5s are the ones torchvision and most loaders publish for these files. No SHA-256 is published
 * upstream; the first verified download pins its SHA-256 beside the zip and later runs check that.
 */
export const OMNIGLOT_ARCHIVES: readonly ArchiveSpec[] = [
  {
    file: 'images_background.zip',
    url: `${LAKE}/images_background.zip`,
    md5: '68d2efa1b9178cc56df9314c21c6e718',
  },
  {
    file: 'images_evaluation.zip',
    url: `${LAKE}/images_evaluation.zip`,
    md5: '6b91aef0f799c5bb55b94e3f2daec811',
  },
];

export interface FetchOptions {
  /** Defaults to `defaultDataDir()` (resolved by the caller). */
  dataDir: string;
  /** Injected for tests; defaults to the global `fetch`. */
  fetchImpl?: (url: string) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
  archives?: readonly ArchiveSpec[];
  log?: (line: string) => void;
  /** Fetch the PNG layout even where the npz form is already present. */
  force?: boolean;
}

export interface FetchResult {
  dir: string;
  archives: {
    file: string;
    action: 'already-unpacked' | 'already-present-npz' | 'used-local-zip' | 'downloaded';
    sha256?: string;
    unpackedTo: string;
  }[];
}

const hash = (alg: 'sha256' | 'md5', data: Uint8Array) => createHash(alg).update(data).digest('hex');
const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

function offlineHelp(dir: string, archives: readonly ArchiveSpec[]): string {
  return (
    `To install offline, download on a connected machine:\n` +
    archives.map((a) => `  ${a.url}\n    -> place at ${join(dir, a.file)}`).join('\n') +
    `\nthen rerun \`pnpm cli data fetch omniglot\` (it checks and unpacks them), or unpack them yourself so that ` +
    `${join(dir, 'images_background')}/<Alphabet>/characterNN/*.png exists.`
  );
}

async function verify(a: ArchiveSpec, zipPath: string, data: Uint8Array): Promise<string> {
  const sha = hash('sha256', data);
  const pinFile = `${zipPath}.sha256`;
  const pinned =
    a.sha256 ??
    ((await exists(pinFile)) ? (await readFile(pinFile, 'utf8')).trim().split(/\s+/)[0] : undefined);
  if (pinned && pinned !== sha) {
    throw new DataError(
      zipPath,
      `SHA-256 mismatch: expected ${pinned}, got ${sha}; the file is corrupt or not the official archive: delete it and retry`,
    );
  }
  if (!pinned) {
    const md5 = hash('md5', data);
    if (a.md5 && a.md5 !== md5)
      throw new DataError(
        zipPath,
        `MD5 mismatch: expected ${a.md5}, got ${md5}; the file is corrupt or not the official archive: delete it and retry`,
      );
    await writeFileAtomic(pinFile, `${sha}  ${a.file}\n`);
  }
  return sha;
}

async function unpack(zipPath: string, data: Uint8Array, dir: string, stem: string): Promise<void> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(data);
  } catch (e) {
    throw new DataError(zipPath, `cannot unzip (${(e as Error).message})`);
  }
  // Unpack beside the target and rename, so an interrupted run never leaves a half-filled set folder.
  const tmp = join(dir, `.${stem}.partial`);
  await rm(tmp, { recursive: true, force: true });
  let n = 0;
  for (const [name, bytes] of Object.entries(files)) {
    if (name.endsWith('/') || !name.startsWith(`${stem}/`) || name.includes('..')) continue;
    const out = join(tmp, name.slice(stem.length + 1));
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, bytes);
    n++;
  }
  if (n === 0) throw new DataError(zipPath, `archive holds no '${stem}/' folder`);
  await rename(tmp, join(dir, stem));
}

export async function fetchOmniglot(opts: FetchOptions): Promise<FetchResult> {
  const dir = join(opts.dataDir, 'omniglot');
  const archives = opts.archives ?? OMNIGLOT_ARCHIVES;
  const log = opts.log ?? (() => {});
  const doFetch = opts.fetchImpl ?? ((url: string) => fetch(url));
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new DataError(
      dir,
      `cannot create the data folder (${(e as NodeJS.ErrnoException).code}); choose a writable one with --data-dir or RCN_DATA_DIR`,
    );
  }
  const result: FetchResult = { dir, archives: [] };
  const hasNpz = (await detectOmniglot(dir)).npz && !opts.force;
  for (const a of archives) {
    const stem = a.file.replace(/\.zip$/, '');
    const target = join(dir, stem);
    if (hasNpz && (await exists(join(dir, `${stem}.npz`)))) {
      log(`${stem}: already present as ${join(dir, `${stem}.npz`)} (--force fetches the PNG layout too)`);
      result.archives.push({ file: a.file, action: 'already-present-npz', unpackedTo: dir });
      continue;
    }
    if ((await exists(target)) && (await readdir(target)).length > 0) {
      log(`${stem}: already unpacked in ${target}`);
      result.archives.push({ file: a.file, action: 'already-unpacked', unpackedTo: target });
      continue;
    }
    const zipPath = join(dir, a.file);
    try {
      await access(dir, constants.W_OK);
    } catch {
      throw new DataError(
        dir,
        `the data folder is not writable; choose a writable one with --data-dir or RCN_DATA_DIR`,
      );
    }
    let data: Uint8Array;
    let action: 'used-local-zip' | 'downloaded';
    if (await exists(zipPath)) {
      data = await readFile(zipPath);
      action = 'used-local-zip';
      log(`${a.file}: using ${zipPath}`);
    } else {
      log(`${a.file}: downloading ${a.url}`);
      let res: Awaited<ReturnType<typeof doFetch>>;
      try {
        res = await doFetch(a.url);
      } catch (e) {
        const cause = (e as Error & { cause?: Error }).cause?.message ?? (e as Error).message;
        throw new DataError(
          zipPath,
          `cannot download ${a.url} (${cause}); are you offline?\n${offlineHelp(dir, archives)}`,
        );
      }
      if (!res.ok)
        throw new DataError(
          zipPath,
          `download of ${a.url} failed with HTTP ${res.status}\n${offlineHelp(dir, archives)}`,
        );
      data = new Uint8Array(await res.arrayBuffer());
      action = 'downloaded';
    }
    const sha = await verify(a, zipPath, data);
    if (action === 'downloaded') await writeFileAtomic(zipPath, data);
    await unpack(zipPath, data, dir, stem);
    log(`${a.file}: sha256 ${sha} ok, unpacked to ${target}`);
    result.archives.push({ file: a.file, action, sha256: sha, unpackedTo: target });
  }
  return result;
}
