/**
 * The explanation service the API server calls: one loaded checkpoint, episodes explained on demand (the
 * last few cached), and every answer as plain arrays plus PNG bytes.
 */
import { type Episode, parseEpisodeId } from '../episodes/index.js';
import { loadExplainContext, type ExplainContext, type ExplainContextOptions } from './context.js';
import { explainEpisode, type EpisodeExplanation } from './episode.js';
import { measureFaithfulness, type FaithfulnessOptions, type FaithfulnessReport } from './faithfulness.js';
import { upsampleRegionMap, type RegionGeometry } from '../model/index.js';
import { renderEpisodePanel, renderPairPng, renderRegionMatchPng } from './panel.js';
import { prototypicalParts, renderPartsGallery, type PartsOptions, type PartsResult } from './parts.js';
import { classRam, pairRam, regionSimilarityMap, type ClassRam, type PairRam } from './ram.js';
import { PromiseCache } from '../util/index.js';

/** A region map over the grid and upsampled to the image (row-major, imageSize x imageSize). */
export interface RegionMap {
  regions: number[];
  image: number[];
}

/** Everything about one (query, support) pair. */
export interface PairExplanation {
  episodeId: string;
  query: number;
  support: number;
  /** Grid and receptive-field placement of the regions. */
  grid: { rows: number; cols: number; imageSize: number; rowCentres: number[]; colCentres: number[] };
  pair: PairRam;
  /** The support's class, over all its shots. */
  classRam: ClassRam;
  maps: { contributions: RegionMap; scores: RegionMap; weights: RegionMap; queryContributions: RegionMap };
  /** [k][j]: cosine similarity of support region k to query region j. */
  similarity: number[][];
  png: Buffer;
}

function regionMap(values: number[], geom: RegionGeometry): RegionMap {
  return { regions: values, image: Array.from(upsampleRegionMap(values, geom, geom.imageSize)) };
}

export class Explainer {
  private readonly cache: PromiseCache<string, EpisodeExplanation>;

  private constructor(
    readonly context: ExplainContext,
    cacheSize: number,
  ) {
    this.cache = new PromiseCache({ max: cacheSize });
  }

  /** Loads a checkpoint (directory or run directory). */
  static async open(
    checkpoint: string,
    opts: ExplainContextOptions & { cacheSize?: number } = {},
  ): Promise<Explainer> {
    return new Explainer(await loadExplainContext(checkpoint, opts), opts.cacheSize ?? 4);
  }

  /** The explanation of an episode, by id or as a sampled episode. */
  episode(episode: string | Episode): Promise<EpisodeExplanation> {
    const id = typeof episode === 'string' ? episode : episode.id;
    return this.cache.get(id, () => {
      const split = typeof episode === 'string' ? parseEpisodeId(episode).split : episode.spec.split;
      return this.context.openSplit(split).then((ds) => explainEpisode(this.context.model, ds, episode));
    });
  }

  /** RAM arrays (regions and upsampled) and the pair's PNG. */
  async pair(episode: string | Episode, query: number, support: number): Promise<PairExplanation> {
    const x = await this.episode(episode);
    const p = pairRam(x.ram, query, support);
    const g = x.geometry;
    return {
      episodeId: x.episode.id,
      query,
      support,
      grid: {
        rows: g.gridH,
        cols: g.gridW,
        imageSize: g.imageSize,
        rowCentres: g.rows.centres,
        colCentres: g.cols.centres,
      },
      pair: p,
      classRam: classRam(x.ram, query, p.classIndex),
      maps: {
        contributions: regionMap(p.contributions, g),
        scores: regionMap(p.scores, g),
        weights: regionMap(p.weights, g),
        queryContributions: regionMap(p.queryContributions, g),
      },
      similarity: Array.from({ length: x.ram.regions }, (_v, k) =>
        regionSimilarityMap(x.ram, query, support, k),
      ),
      png: await renderPairPng(x, query, support),
    };
  }

  /** PNG of support region k's match on the query. */
  async regionMatchPng(
    episode: string | Episode,
    query: number,
    support: number,
    k: number,
  ): Promise<Buffer> {
    return renderRegionMatchPng(await this.episode(episode), query, support, k);
  }

  /** The episode panel PNG. */
  async panelPng(episode: string | Episode, queries?: number[]): Promise<Buffer> {
    return renderEpisodePanel(await this.episode(episode), { queries });
  }

  /** A class's prototypical parts and their gallery PNG. */
  async parts(split: string, opts: PartsOptions): Promise<{ result: PartsResult; png: Buffer }> {
    const ds = await this.context.openSplit(split);
    const result = await prototypicalParts(this.context.model, ds, opts);
    return { result, png: await renderPartsGallery(ds, result, this.context.geometry) };
  }

  /** Deletion / insertion table. */
  async faithfulness(opts: FaithfulnessOptions): Promise<FaithfulnessReport> {
    return measureFaithfulness(this.context.model, await this.context.openSplit(opts.split), opts);
  }

  dispose(): void {
    this.cache.clear();
    this.context.dispose();
  }
}
