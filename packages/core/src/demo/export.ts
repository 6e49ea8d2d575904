/**
 * `exportDemo`: a folder any static host serves, where a visitor's browser runs a checkpoint: the page
 * (a prebuilt app, given by the caller: the dashboard's try page built for a static host), the checkpoint
 * folder, example episodes of its dataset as PNGs at the model's size, the dataset's terms, and
 * `demo.json` tying them together. No server code, no Node: just files.
 */
import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { openDataset } from '../data/index.js';
import { sampleEpisode } from '../episodes/index.js';
import { encodePng } from '../io/index.js';
import { CheckpointError, describeCheckpoint, type OpenCheckpointOptions } from '../model/index.js';
import type { DemoEpisode, DemoManifest } from './manifest.js';
import { knownDatasetTerms } from './terms.js';

export interface DemoOptions extends Pick<OpenCheckpointOptions, 'runsDir' | 'name'> {
  /** A checkpoint reference `openCheckpoint` takes: a run (its best), `<runId>/<name>`, a checkpoint folder. */
  checkpoint: string;
  out: string;
  /** The built page: a folder with index.html and its scripts (copied whole). */
  app: string;
  dataDir?: string;
  /** Example episodes (0: none). */
  episodes: number;
  split: string;
  way: number;
  shot: number;
  /** Queries per class. */
  query: number;
  seed: number;
  /** Terms of a dataset whose terms are not known (its images are shown only with them). */
  dataTerms?: string;
  /** Write into a folder that is not empty. */
  force?: boolean;
}

export interface DemoSummary {
  out: string;
  method: string;
  dataset: string | null;
  episodes: number;
  /** Files written and their total size, in bytes. */
  files: number;
  bytes: number;
  /** The terms the examples are shown under (null without examples). */
  credit: string | null;
  commercial: boolean | null;
}

async function sizeOf(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const s = await sizeOf(p);
      files += s.files;
      bytes += s.bytes;
    } else {
      files++;
      bytes += (await stat(p)).size;
    }
  }
  return { files, bytes };
}

/** The checkpoint's own files: metadata, manifest, and the blobs the manifest names. */
async function checkpointFiles(dir: string): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as {
    weightsManifest: { paths: string[] }[];
  };
  const blobs = manifest.weightsManifest.flatMap((g) => g.paths.map((p) => p.replace(/^\.\//, '')));
  for (const b of blobs)
    if (b.includes('/') || b.startsWith('.'))
      throw new CheckpointError(
        'CHECKPOINT_INVALID',
        `${dir}: weights path '${b}' is not a file of the folder`,
      );
  return ['metadata.json', 'model.json', ...blobs];
}

export async function exportDemo(o: DemoOptions): Promise<DemoSummary> {
  const ck = await describeCheckpoint(o.checkpoint, o);
  if (!(await stat(join(o.app, 'index.html')).catch(() => null)))
    throw new Error(`${o.app}: no built page (index.html) here`);
  const existing = await readdir(o.out).catch(() => [] as string[]);
  if (existing.length && !o.force)
    throw new Error(`${o.out} is not empty: choose a new folder, or pass --force to write into it`);
  let terms = null as ReturnType<typeof knownDatasetTerms>;
  let datasetRoot = '';
  const episodes: DemoEpisode[] = [];
  if (o.episodes > 0) {
    if (!ck.dataset)
      throw new Error(`${ck.dir}: the checkpoint names no dataset to take examples from (--episodes 0)`);
    const ds = await openDataset(ck.dataset, o.split, {
      dataDir: o.dataDir,
      imageSize: ck.input.size,
      normalization: ck.normalization,
    });
    datasetRoot = ds.root;
    terms =
      knownDatasetTerms(ck.dataset, ds.root) ??
      (o.dataTerms ? { credit: o.dataTerms, licenceFile: null, commercial: false } : null);
    if (!terms)
      throw new Error(
        `the terms of dataset '${ck.dataset}' are not known: state them (--data-terms "...": who made the images, ` +
          'under which licence) or export without examples (--episodes 0)',
      );
    await mkdir(join(o.out, 'episodes'), { recursive: true });
    for (let index = 0; index < o.episodes; index++) {
      const ep = sampleEpisode(ds, {
        dataset: ck.dataset,
        split: o.split,
        way: o.way,
        shot: o.shot,
        query: o.query,
        seed: o.seed,
        index,
      });
      const dir = join(o.out, 'episodes', String(index));
      await mkdir(dir, { recursive: true });
      const png = async (id: string, file: string) => {
        const { height, width, channels } = ds.shape;
        await writeFile(
          join(dir, file),
          await encodePng({ data: await ds.getImage(id), width, height, channels }),
        );
        return { url: `episodes/${index}/${file}`, name: id };
      };
      episodes.push({
        title: `${ep.spec.way}-way ${ep.spec.shot}-shot, ${ds.split} split (${ep.id})`,
        classes: await Promise.all(
          ep.classes.map(async (c, label) => ({
            name: c.name,
            support: await Promise.all(
              ep.support.filter((s) => s.label === label).map((s, k) => png(s.imageId, `s${label}-${k}.png`)),
            ),
          })),
        ),
        queries: await Promise.all(
          ep.query.map(async (q, k) => ({ ...(await png(q.imageId, `q${k}.png`)), label: q.label })),
        ),
      });
    }
  }
  await cp(o.app, o.out, { recursive: true, force: true });
  await mkdir(join(o.out, 'model'), { recursive: true });
  for (const f of await checkpointFiles(ck.dir)) await cp(join(ck.dir, f), join(o.out, 'model', f));
  if (terms?.licenceFile) await cp(terms.licenceFile, join(o.out, 'DATA-LICENSE.txt'));
  const label = `${ck.method} ${ck.metadata.model.backbone} ${ck.input.size} px${ck.dataset ? ` (${ck.dataset})` : ''}`;
  const manifest: DemoManifest = {
    format: 'rcn-demo',
    version: 1,
    title: `Few-shot classification in your browser: ${label}`,
    model: { label, url: 'model/' },
    dataset:
      terms && ck.dataset
        ? {
            name: ck.dataset,
            credit: terms.credit,
            licenceUrl: terms.licenceFile ? 'DATA-LICENSE.txt' : null,
          }
        : null,
    episodes,
    createdAt: new Date().toISOString(),
  };
  await writeFile(join(o.out, 'demo.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(
    join(o.out, 'NOTICE.txt'),
    [
      'A static demo of RCN Studio (Region Comparison Network, Xue et al. 2020, arXiv 2009.03558).',
      'Serve this folder with any static web server (for example `python3 -m http.server` inside it) and open',
      'index.html over http(s): the model runs in the visitor browser; nothing is sent anywhere.',
      '',
      `Model: ${label}, from ${relative(process.cwd(), ck.dir) || ck.dir}.`,
      terms
        ? `Example images (${relative(process.cwd(), datasetRoot) || datasetRoot}): ${terms.credit}.${terms.commercial ? '' : ' Not for commercial use.'}`
        : 'No example images.',
      'Third-party code in the scripts: see the *.LEGAL.txt files beside them.',
      '',
    ].join('\n'),
  );
  return {
    out: o.out,
    method: ck.method,
    dataset: ck.dataset,
    episodes: episodes.length,
    ...(await sizeOf(o.out)),
    credit: terms?.credit ?? null,
    commercial: terms ? terms.commercial : null,
  };
}
