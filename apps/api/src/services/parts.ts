/**
 * Prototypical parts (core's `prototypicalParts` + `renderPartsGallery`) for the API: arguments checked
 * and bounded here, the computation run on one inference worker (never on the event loop), one at a time,
 * identical concurrent requests sharing it, and every result cached on disk under the cache folder, keyed
 * by the checkpoint (and its weights file's size and time), dataset, split, class and options.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PARTS_FIELDS, writeFileAtomic } from '@rcn/core';
import type { Limits } from '../config.js';
import { badInput, boundedInt, notFound } from '../graphql/errors.js';
import type { ResolvedCheckpoint } from './paths.js';
import type { DatasetService } from './datasets.js';
import { imageUrl } from './datasets.js';
import { type Box, type GridGeometry } from './geometry.js';
import type { InferenceService } from './inference.js';
import { checkpointDescription } from './inference.js';
import type { PngStore } from './png.js';

/** Bump when the cached JSON's shape changes. */
const CACHE_VERSION = 1;

export interface PartsArgs {
  dataset?: string | null;
  split: string;
  episodes: number;
  way: number;
  shot: number;
  query: number;
  seed: number;
  parts: number;
  patchesPerPart: number;
  topRegions: number;
}

export interface PartPatchModel {
  episode: string;
  imageId: string;
  imageUrl: string;
  patchUrl: string;
  region: number;
  box: Box;
  contribution: number;
  share: number;
}

export interface PrototypicalPartModel {
  index: number;
  decisions: number;
  frequency: number;
  members: number;
  meanContribution: number;
  patches: PartPatchModel[];
}

export interface PrototypicalPartsModel {
  checkpoint: string;
  dataset: string;
  split: string;
  classId: string;
  className: string;
  episodes: number;
  way: number;
  shot: number;
  query: number;
  seed: number;
  queries: number;
  correctDecisions: number;
  galleryUrl: string;
  grid: GridGeometry;
  parts: PrototypicalPartModel[];
  seconds: number;
  cached: boolean;
  createdAt: string;
}

export class PartsService {
  private readonly inflight = new Map<string, Promise<PrototypicalPartsModel>>();
  /** Parts computations run one after another (each holds one inference worker for a while). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly cacheDir: string,
    private readonly limits: Limits,
    private readonly datasets: DatasetService,
    private readonly inference: InferenceService,
    private readonly pngs: PngStore,
  ) {}

  async get(ck: ResolvedCheckpoint, cls: string, args: PartsArgs): Promise<PrototypicalPartsModel> {
    const l = this.limits;
    boundedInt(args.episodes, 'episodes', 1, l.maxPartsEpisodes);
    boundedInt(args.way, 'way', 2, l.maxWay);
    boundedInt(args.shot, 'shot', 1, l.maxShot);
    boundedInt(args.query, 'query', 1, l.maxQuery);
    for (const f of ['parts', 'patchesPerPart', 'topRegions'] as const)
      boundedInt(args[f], f, PARTS_FIELDS[f].min, PARTS_FIELDS[f].max);
    if (!Number.isSafeInteger(args.seed)) throw badInput(`seed must be an integer, got ${args.seed}`, 'seed');
    if (typeof cls !== 'string' || !cls || cls.length > 200)
      throw badInput('class: expected a class id', 'class');

    const dataset = args.dataset ?? (await checkpointDescription(ck.dir)).dataset;
    if (!dataset) throw badInput('the checkpoint names no dataset: pass `dataset`', 'dataset');
    const ds = await this.datasets.split(dataset, args.split);
    // A class id, or else a unique readable name.
    let info = ds.classes.find((c) => c.id === cls);
    if (!info) {
      const byName = ds.classes.filter((c) => c.name === cls);
      if (byName.length === 1) info = byName[0];
    }
    if (!info) throw notFound(`no class '${cls}' in ${dataset}/${args.split}`);
    if (ds.classes.length < args.way)
      throw badInput(
        `${dataset}/${args.split} has ${ds.classes.length} classes, fewer than way = ${args.way}`,
        'way',
      );
    const need = args.shot + args.query;
    const short = ds.classes.find((c) => c.imageIds.length < need);
    if (short)
      throw badInput(
        `class '${short.id}' of ${dataset}/${args.split} has ${short.imageIds.length} images, fewer than shot + query = ${need}`,
        'query',
      );

    const w = statSync(join(ck.dir, 'weights.bin'));
    const identity = {
      v: CACHE_VERSION,
      checkpoint: ck.ref,
      weights: `${w.size}:${w.mtimeMs}`,
      dataset,
      split: args.split,
      classId: info.id,
      episodes: args.episodes,
      way: args.way,
      shot: args.shot,
      query: args.query,
      seed: args.seed,
      parts: args.parts,
      patchesPerPart: args.patchesPerPart,
      topRegions: args.topRegions,
    };
    const key = createHash('sha256').update(JSON.stringify(identity)).digest('hex');
    const file = join(this.cacheDir, 'parts', `${key}.json`);
    const hit = await this.readCache(file);
    if (hit) return { ...hit, cached: true };
    let p = this.inflight.get(key);
    if (!p) {
      const classId = info.id;
      const run = this.queue.then(() => this.compute(ck, dataset, classId, args, file));
      this.queue = run.catch(() => undefined);
      p = run.finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async readCache(file: string): Promise<PrototypicalPartsModel | null> {
    if (!existsSync(file)) return null;
    try {
      const m = JSON.parse(await readFile(file, 'utf8')) as PrototypicalPartsModel;
      // The PNGs live in the same cache folder; if they were cleaned away, compute again.
      const urls = [m.galleryUrl, ...m.parts.flatMap((p) => p.patches.map((x) => x.patchUrl))];
      const present = urls.every((u) => {
        const path = this.pngs.path(u.replace(/^\/files\//, ''));
        return path !== null && existsSync(path);
      });
      return present ? m : null;
    } catch {
      return null;
    }
  }

  private async compute(
    ck: ResolvedCheckpoint,
    dataset: string,
    classId: string,
    args: PartsArgs,
    file: string,
  ): Promise<PrototypicalPartsModel> {
    const r = await this.inference.parts({
      checkpointDir: ck.dir,
      dataset,
      split: args.split,
      classId,
      episodes: args.episodes,
      way: args.way,
      shot: args.shot,
      query: args.query,
      seed: args.seed,
      parts: args.parts,
      patchesPerPart: args.patchesPerPart,
      topRegions: args.topRegions,
    });
    const put = (u8: Uint8Array) => this.pngs.put(Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength));
    const galleryUrl = await put(r.gallery);
    const round = (x: number) => Math.round(x * 1e6) / 1e6;
    const parts: PrototypicalPartModel[] = [];
    for (const [i, part] of r.result.parts.entries()) {
      const patches: PartPatchModel[] = [];
      for (const [j, patch] of part.patches.entries())
        patches.push({
          episode: patch.episode,
          imageId: patch.imageId,
          imageUrl: imageUrl(dataset, args.split, patch.imageId),
          patchUrl: await put(r.patches[i][j]),
          region: patch.region,
          box: patch.box,
          contribution: round(patch.contribution),
          share: round(patch.share),
        });
      parts.push({
        index: part.index,
        decisions: part.decisions,
        frequency: round(part.frequency),
        members: part.members,
        meanContribution: round(part.meanContribution),
        patches,
      });
    }
    const model: PrototypicalPartsModel = {
      checkpoint: ck.ref,
      dataset,
      split: args.split,
      classId,
      className: r.result.className,
      episodes: r.result.episodes,
      way: args.way,
      shot: args.shot,
      query: args.query,
      seed: args.seed,
      queries: r.result.queries,
      correctDecisions: r.result.correctDecisions,
      galleryUrl,
      grid: r.geometry,
      parts,
      seconds: round(r.seconds),
      cached: false,
      createdAt: new Date().toISOString(),
    };
    await writeFileAtomic(file, JSON.stringify(model));
    return model;
  }
}
