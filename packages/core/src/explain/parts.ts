/**
 * Category-level prototypical parts. Over many episodes that contain class c, every correct decision for a
 * query of class c is credited to the support regions of c with the largest contributions w_k r_k; their
 * (L2-normalised) region features are clustered with seeded k-means. A part is a cluster: its most
 * representative patches (nearest the centre) and how often it decides (the share of correct decisions in
 * which one of its regions is among the top contributors).
 */
import type { FewShotDataset } from '../data/index.js';
import {
  buildEpisodeArrays,
  formatEpisodeId,
  type Episode,
  type EpisodeImage,
  arraysToBatch,
} from '../episodes/index.js';
import { type RCN, regionGeometry, regionPatchBox, type Box, type RegionGeometry } from '../model/index.js';
import { Rng } from '../util/index.js';
import { kmeans } from './kmeans.js';
import { computeEpisodeRam, pairRam, predictions, type EpisodeRam } from './ram.js';
import { Canvas, crop, drawBox, resizeNearest, scaleBox, toRgb } from './render.js';
import { PARTS_FIELDS } from './parts-config.js';

export interface PartsOptions {
  /** Class id (`ClassInfo.id`) of the dataset split. */
  classId: string;
  /** Episodes containing the class: way, shot, query, seed, count. */
  episodes: number;
  way: number;
  shot: number;
  query: number;
  seed: number;
  /** Support regions credited per correct decision (default: PARTS_FIELDS'). */
  topRegions?: number;
  /** Number of parts (clusters) (default: PARTS_FIELDS'). */
  parts?: number;
  /** Patches shown per part (default: PARTS_FIELDS'). */
  patchesPerPart?: number;
  onProgress?: (episodesDone: number, total: number) => void;
}

export interface PartPatch {
  episode: string;
  imageId: string;
  region: number;
  /** Patch box in image pixels. */
  box: Box;
  contribution: number;
  /** Share of the class score the region carried in that decision. */
  share: number;
}

export interface PrototypicalPart {
  index: number;
  /** Correct decisions in which one of its regions was among the top contributors. */
  decisions: number;
  /** decisions / all correct decisions. */
  frequency: number;
  /** Credited regions in the cluster. */
  members: number;
  meanContribution: number;
  /** Most representative first (nearest the cluster centre), distinct (image, region). */
  patches: PartPatch[];
}

export interface PartsResult {
  dataset: string;
  split: string;
  classId: string;
  className: string;
  episodes: number;
  /** Queries of the class seen, and those classified correctly (the decisions). */
  queries: number;
  correctDecisions: number;
  /** Sorted by frequency, most deciding first. */
  parts: PrototypicalPart[];
}

/**
 * Episode `index` of a stream that always contains `classIndex` (at a random label), the other classes and
 * all images drawn with the seed. Its id names it (`parts:...`); it is not an id of the regular stream.
 */
export function episodeWithClass(
  ds: FewShotDataset,
  classIndex: number,
  spec: { way: number; shot: number; query: number; seed: number; index: number },
): Episode {
  const rng = Rng.fromKeys(spec.seed, spec.index, 0x9a27, classIndex);
  const others = rng.sample(ds.classes.length - 1, spec.way - 1).map((i) => (i >= classIndex ? i + 1 : i));
  const at = rng.int(spec.way);
  const picked = [...others.slice(0, at), classIndex, ...others.slice(at)].map((i) => ds.classes[i]);
  const need = spec.shot + spec.query;
  const support: EpisodeImage[] = [];
  const query: EpisodeImage[] = [];
  picked.forEach((c, label) => {
    if (c.imageIds.length < need) throw new Error(`parts: class '${c.id}' has fewer than ${need} images`);
    const idx = rng.sample(c.imageIds.length, need);
    idx.forEach((i, j) =>
      (j < spec.shot ? support : query).push({ imageId: c.imageIds[i], classId: c.id, label }),
    );
  });
  const base = {
    dataset: ds.name,
    split: ds.split,
    way: spec.way,
    shot: spec.shot,
    query: spec.query,
    seed: spec.seed,
    index: spec.index,
  };
  return {
    id: `parts:${ds.classes[classIndex].id}:${formatEpisodeId(base)}`,
    spec: base,
    classes: picked.map((c) => ({ id: c.id, name: c.name })),
    support,
    query,
  };
}

interface Credited {
  decision: number;
  feature: Float32Array;
  patch: PartPatch;
}

function normalise(v: Float32Array): Float32Array {
  const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0)) || 1;
  return v.map((x) => x / n);
}

/** Finds the prototypical parts of a class. */
export async function prototypicalParts(
  model: RCN,
  ds: FewShotDataset,
  opts: PartsOptions,
): Promise<PartsResult> {
  const ci = ds.classes.findIndex((c) => c.id === opts.classId);
  if (ci < 0) throw new Error(`parts: no class '${opts.classId}' in ${ds.name}/${ds.split}`);
  if (ds.classes.length < opts.way)
    throw new Error(`parts: ${ds.name}/${ds.split} has fewer than ${opts.way} classes`);
  const geom = regionGeometry(model.config);
  const top = opts.topRegions ?? PARTS_FIELDS.topRegions.default;
  const credited: Credited[] = [];
  let decisions = 0;
  let queries = 0;
  for (let e = 0; e < opts.episodes; e++) {
    const ep = episodeWithClass(ds, ci, { ...opts, index: e });
    const arrays = await buildEpisodeArrays(ds, ep, { augmentQueries: false });
    const batch = arraysToBatch(arrays);
    let ram: EpisodeRam;
    try {
      ram = await computeEpisodeRam(model, batch, { supportFeatures: true, labels: arrays.queryLabels });
    } finally {
      batch.dispose();
    }
    const label = ep.classes.findIndex((c) => c.id === opts.classId);
    const pred = predictions(ram);
    const feats = ram.supportRegionFeatures as Float32Array;
    const { regions: r, channels: ch } = ram;
    for (let q = 0; q < ram.queries; q++) {
      if (arrays.queryLabels[q] !== label) continue;
      queries++;
      if (pred[q] !== label) continue;
      const classScore = ram.classScores[q * ram.way + label];
      const cands = Array.from({ length: ram.shot }, (_v, s) => {
        const p = pairRam(ram, q, label * ram.shot + s);
        return p.contributions.map((v, k) => ({ s: p.support, k, v }));
      }).flat();
      cands.sort((a, b) => b.v - a.v || a.s - b.s || a.k - b.k);
      for (const c of cands.slice(0, top)) {
        const at = (c.s * r + c.k) * ch;
        credited.push({
          decision: decisions,
          feature: normalise(feats.slice(at, at + ch)),
          patch: {
            episode: ep.id,
            imageId: ep.support[c.s].imageId,
            region: c.k,
            box: regionPatchBox(geom, c.k),
            contribution: c.v,
            share: classScore > 0 ? c.v / (ram.shot * classScore) : 0,
          },
        });
      }
      decisions++;
    }
    opts.onProgress?.(e + 1, opts.episodes);
    await new Promise((res) => setImmediate(res));
  }
  const km = kmeans(
    credited.map((c) => c.feature),
    opts.parts ?? PARTS_FIELDS.parts.default,
    { seed: opts.seed },
  );
  const parts: PrototypicalPart[] = km.centroids.map((centre, j) => {
    const members = credited.filter((_c, i) => km.assignments[i] === j);
    const dist = (f: Float32Array) => f.reduce((a, x, t) => a + (x - centre[t]) ** 2, 0);
    const seen = new Set<string>();
    const patches = [...members]
      .sort((a, b) => dist(a.feature) - dist(b.feature))
      .filter((m) => {
        const key = `${m.patch.imageId}#${m.patch.region}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .slice(0, opts.patchesPerPart ?? PARTS_FIELDS.patchesPerPart.default)
      .map((m) => m.patch);
    const dec = new Set(members.map((m) => m.decision)).size;
    return {
      index: j,
      decisions: dec,
      frequency: decisions ? dec / decisions : 0,
      members: members.length,
      meanContribution: members.reduce((a, m) => a + m.patch.contribution, 0) / Math.max(1, members.length),
      patches,
    };
  });
  parts.sort((a, b) => b.frequency - a.frequency || a.index - b.index);
  parts.forEach((p, i) => (p.index = i));
  return {
    dataset: ds.name,
    split: ds.split,
    classId: opts.classId,
    className: ds.classes[ci].name,
    episodes: opts.episodes,
    queries,
    correctDecisions: decisions,
    parts,
  };
}

/**
 * The gallery: a row per part (how often it decides), each patch magnified above its support image with
 * the patch outlined.
 */
export async function renderPartsGallery(
  ds: FewShotDataset,
  result: PartsResult,
  geom: RegionGeometry,
  opts: { tile?: number } = {},
): Promise<Buffer> {
  const tile = opts.tile ?? 72;
  const gap = 8;
  const labelW = 170;
  const perRow = Math.max(1, ...result.parts.map((p) => p.patches.length));
  const rowH = 2 * tile + gap + 24;
  const header = 70;
  const c = new Canvas(
    Math.max(560, labelW + perRow * (tile + gap) + gap),
    header + result.parts.length * rowH + 8,
  );
  c.text(10, 20, `Prototypical parts of ${result.className}`, { size: 14, bold: true });
  c.text(
    10,
    38,
    `class ${result.classId}, ${result.dataset}/${result.split}: ${result.episodes} episodes, ${result.correctDecisions}/${result.queries} queries correct`,
    { size: 11 },
  );
  c.text(10, 54, 'top: patch (magnified); bottom: where it lies in its support image', { size: 11 });
  const { height, width, channels } = ds.shape;
  for (const [row, part] of result.parts.entries()) {
    const y = header + row * rowH;
    c.text(10, y + 18, `part ${part.index + 1}`, { size: 13, bold: true });
    c.text(10, y + 36, `decides ${(100 * part.frequency).toFixed(0)}% of correct`, { size: 11 });
    c.text(10, y + 50, `decisions (${part.decisions}/${result.correctDecisions})`, { size: 11 });
    c.text(10, y + 66, `mean w·r ${part.meanContribution.toFixed(3)}`, { size: 11 });
    c.text(10, y + 80, `${part.members} credited regions`, { size: 11 });
    for (const [i, p] of part.patches.entries()) {
      const img = toRgb(await ds.getImage(p.imageId), height, width, channels);
      const x = labelW + i * (tile + gap);
      c.image(x, y, resizeNearest(crop(img, p.box), tile));
      const whole = resizeNearest(img, tile);
      const s = tile / geom.imageSize;
      drawBox(whole, scaleBox(p.box, s), [230, 40, 40], 2);
      c.image(x, y + tile + 4, whole);
      c.text(x, y + 2 * tile + 18, `share ${(100 * p.share).toFixed(1)}%`, { size: 10 });
    }
  }
  return c.png();
}
