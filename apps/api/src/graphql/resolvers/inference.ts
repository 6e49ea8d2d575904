/**
 * Predictions, RAMs and uploads: everything that runs a model. Core computes (its Predictor and
 * Explainer); these resolvers check the request, map core's fields to the schema's and round numbers.
 */
import type { Episode, EpisodePrediction, SupportComparison as CoreSupport } from '@rcn/core';
import { imageUrl } from '../../services/datasets.js';
import { checkpointDescription, mapCoreErrors } from '../../services/inference.js';
import { resolveCheckpoint } from '../../services/paths.js';
import { decodeBase64, imageInto } from '../../services/upload.js';
import { checkEpisode, checkShape } from '../../services/validate.js';
import type { GridGeometry } from '../../services/geometry.js';
import type { PngStore } from '../../services/png.js';
import type { RamResult } from '../../workers/pair-ram.js';
import { badInput, boundedInt, limitExceeded } from '../errors.js';
import type { MutationResolvers, QueryResolvers, Ram, SupportComparison } from '../generated.js';

const round = (x: number) => Math.round(x * 1e6) / 1e6;

function supportOf(s: CoreSupport, imageId: string | null): SupportComparison {
  return {
    index: s.index,
    label: s.label,
    imageId,
    score: round(s.score),
    regionScores: s.regionScores.map(round),
    regionWeights: s.regionWeights.map(round),
    contributions: s.contributions.map(round),
  };
}

/** The grid fields every prediction carries (no grid for a model without regions). */
function gridFields(regions: number, grid: GridGeometry | null) {
  return { regions, grid };
}

/**
 * Core's prediction of an episode as the schema's `Prediction` (sampled episodes and tasks files alike);
 * `urlOf` gives query q's image URL.
 */
export function predictionFields(
  r: EpisodePrediction & { grid: GridGeometry | null; accuracy: number },
  checkpoint: string,
  ep: Episode,
  urlOf: (q: number) => string,
) {
  return {
    checkpoint,
    episode: ep,
    accuracy: r.accuracy,
    ...gridFields(r.regions, r.grid),
    queries: r.queries.map((q) => {
      const im = ep.query[q.index];
      return {
        index: q.index,
        imageId: im.imageId,
        url: urlOf(q.index),
        trueLabel: im.label,
        predictedLabel: q.predicted,
        correct: q.predicted === im.label,
        probabilities: q.probabilities.map(round),
        supports: q.supports.map((s) => supportOf(s, ep.support[s.index].imageId)),
      };
    }),
  };
}

/** A worker's RAM of one (query, support) pair as the schema's `Ram` (sampled episodes and tasks alike). */
export async function ramFields(
  r: RamResult,
  checkpoint: string,
  pngs: PngStore,
  query: number,
  support: number,
  top: number,
): Promise<Ram> {
  const ep = r.episode;
  const R = r.regions;
  const g = r.geometry;
  const box = (k: number) => g.regions[k];
  const matches = r.contributions
    .map((c, k) => {
      const j = r.bestMatch[k];
      return {
        supportRegion: k,
        queryRegion: j,
        similarity: round(r.similarity[k * R + j]),
        weight: round(r.weights[k]),
        contribution: round(c),
        supportBox: box(k),
        queryBox: box(j),
      };
    })
    .sort((a, b) => b.contribution - a.contribution || a.supportRegion - b.supportRegion)
    .slice(0, top);
  const put = (u8: Uint8Array) => pngs.put(Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength));
  const [sUrl, qUrl, scUrl, wUrl, cUrl, qcUrl, panelUrl] = await Promise.all(
    [
      r.png.support,
      r.png.query,
      r.png.scores,
      r.png.weights,
      r.png.contributions,
      r.png.queryContributions,
      r.png.panel,
    ].map(put),
  );
  const supportLabel = ep.support[support].label;
  return {
    checkpoint,
    episodeId: ep.id,
    query,
    support,
    queryLabel: ep.query[query].label,
    supportLabel,
    imageSize: r.imageSize,
    grid: g,
    regionScores: r.scores.map(round),
    regionWeights: r.weights.map(round),
    contributions: r.contributions.map(round),
    score: round(r.score),
    probability: round(r.probabilities[supportLabel]),
    urls: {
      support: sUrl,
      query: qUrl,
      scores: scUrl,
      weights: wUrl,
      contributions: cUrl,
      queryContributions: qcUrl,
      panel: panelUrl,
    },
    bestMatches: matches,
    similarity: Array.from({ length: R }, (_v, k) =>
      Array.from(r.similarity.subarray(k * R, (k + 1) * R), round),
    ),
    queryContributions: r.queryContributions.map(round),
    classScore: round(r.classScore),
    share: r.share.map(round),
  };
}

export const inferenceQueries: Pick<QueryResolvers, 'prediction' | 'ram' | 'prototypicalParts'> = {
  prediction: async (_p, { checkpoint, episode }, ctx) => {
    const { services } = ctx;
    const ck = resolveCheckpoint(services.config.runsDir, checkpoint, services.config.zooDir);
    const spec = await checkEpisode(services.config.limits, services.datasets, episode);
    const r = await mapCoreErrors(() => services.inference.predictEpisode(ck.dir, spec));
    return predictionFields(r, ck.ref, r.episode, (q) =>
      imageUrl(spec.dataset, spec.split, r.episode.query[q].imageId),
    );
  },

  ram: async (_p, { checkpoint, episode, query, support, top }, ctx) => {
    const { services } = ctx;
    const ck = resolveCheckpoint(services.config.runsDir, checkpoint, services.config.zooDir);
    const spec = await checkEpisode(services.config.limits, services.datasets, episode);
    boundedInt(query, 'query', 0, spec.way * spec.query - 1);
    boundedInt(support, 'support', 0, spec.way * spec.shot - 1);
    boundedInt(top, 'top', 0, 1000);
    if (spec.query < 1) throw badInput('a RAM needs an episode with queries (query >= 1)', 'episode.query');
    const pairs = spec.way * spec.shot * spec.way * spec.query;
    const maxPairs = services.config.limits.maxRamPairs;
    if (pairs > maxPairs)
      throw limitExceeded(
        `a RAM explains the whole episode: ${spec.way * spec.shot} supports x ${spec.way * spec.query} queries = ${pairs} pairs, over this server's limit of ${maxPairs}`,
        'episode',
        maxPairs,
      );
    const r = await mapCoreErrors(() => services.inference.ram(ck.dir, spec, query, support));
    return ramFields(r, ck.ref, services.pngs, query, support, top);
  },

  prototypicalParts: async (_p, args, { services }) => {
    const ck = resolveCheckpoint(services.config.runsDir, args.checkpoint, services.config.zooDir);
    return mapCoreErrors(() => services.parts.get(ck, args.class, args));
  },
};

export const predictMutation: Pick<MutationResolvers, 'predict'> = {
  predict: async (_p, { checkpoint, supports, queries }, { services }) => {
    const limits = services.config.limits;
    const ck = resolveCheckpoint(services.config.runsDir, checkpoint, services.config.zooDir);
    const total = supports.length + queries.length;
    if (total > limits.maxUploadImages)
      throw limitExceeded(
        `${total} images uploaded; the limit is ${limits.maxUploadImages}`,
        'images',
        limits.maxUploadImages,
      );
    if (queries.length < 1) throw badInput('predict needs at least one query image', 'queries');
    // Supports grouped by label, in order of first appearance: class-major, as the model expects.
    const classes: string[] = [];
    const byClass = new Map<string, number[]>();
    supports.forEach((s, i) => {
      const label = s.label.trim();
      if (!label) throw badInput(`supports[${i}].label is empty`, `supports[${i}].label`);
      if (!byClass.has(label)) {
        classes.push(label);
        byClass.set(label, []);
      }
      byClass.get(label)!.push(i);
    });
    const way = classes.length;
    const shot = byClass.get(classes[0] ?? '')?.length ?? 0;
    if (way < 2) throw badInput('predict needs supports of at least 2 classes (labels)', 'supports');
    const uneven = classes.find((c) => byClass.get(c)!.length !== shot);
    if (uneven)
      throw badInput(
        `every label needs the same number of supports (the shot): '${classes[0]}' has ${shot}, '${uneven}' has ${byClass.get(uneven)!.length}`,
        'supports',
      );
    checkShape(limits, { way, shot, query: 0 });
    const trueLabels = queries.map((q) => q.label ?? null);
    trueLabels.forEach((l, i) => {
      if (l !== null && !byClass.has(l.trim()))
        throw badInput(`queries[${i}].label '${l}' is not one of the support labels`, `queries[${i}].label`);
    });

    // The checkpoint's own input treatment and normalisation (core's rule), never a dataset's default.
    const spec = (await checkpointDescription(ck.dir)).input;
    const per = spec.size * spec.size * 3;
    const supportArr = new Float32Array(way * shot * per);
    const queryArr = new Float32Array(queries.length * per);
    const order = classes.flatMap((c) => byClass.get(c)!);
    await Promise.all([
      ...order.map((i, slot) =>
        imageInto(
          decodeBase64(supports[i].data, `supports[${i}].data`, limits),
          `supports[${i}].data`,
          spec,
          supportArr,
          slot * per,
        ),
      ),
      ...queries.map((q, i) =>
        imageInto(
          decodeBase64(q.data, `queries[${i}].data`, limits),
          `queries[${i}].data`,
          spec,
          queryArr,
          i * per,
        ),
      ),
    ]);
    const r = await mapCoreErrors(() =>
      services.inference.predictUpload({
        checkpointDir: ck.dir,
        way,
        shot,
        support: supportArr,
        queries: queryArr,
        queryCount: queries.length,
      }),
    );
    return {
      checkpoint: ck.ref,
      classes,
      way,
      shot,
      ...gridFields(r.regions, r.grid),
      queries: r.queries.map((q) => {
        const t = trueLabels[q.index]?.trim() ?? null;
        return {
          index: q.index,
          probabilities: q.probabilities.map(round),
          predictedLabel: q.predicted,
          predictedClass: classes[q.predicted],
          trueClass: t,
          correct: t === null ? null : classes[q.predicted] === t,
          supports: q.supports.map((s) => supportOf(s, `upload:supports[${order[s.index]}]`)),
        };
      }),
    };
  },
};
