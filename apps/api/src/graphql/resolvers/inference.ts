/** Predictions, RAMs and uploads: everything that runs a model. */
import type { ForwardResult, RamResult } from '../../workers/inference-tasks.js';
import { imageUrl } from '../../services/datasets.js';
import { gridOf, readCheckpointMetadata } from '../../services/inference.js';
import { resolveCheckpoint } from '../../services/paths.js';
import { decodeBase64, imageInto } from '../../services/upload.js';
import { inputSpecOf, type Episode } from '@rcn/core';
import { checkEpisode, checkShape } from '../../services/validate.js';
import { errorMessage } from '../../util/errors.js';
import { ErrorCode, apiError, badInput, boundedInt, limitExceeded } from '../errors.js';
import type { PngStore } from '../../services/png.js';
import type { MutationResolvers, QueryResolvers, Ram, SupportComparison } from '../generated.js';
import type { GraphQLError } from 'graphql';

/**
 * Worker errors are about the input (the data or the checkpoint), never about the server's state; a
 * checkpoint that core cannot explain by region (a baseline) is NOT_AVAILABLE. Shared with tasks.ts.
 */
export async function inWorker<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if ((e as GraphQLError).extensions?.code) throw e;
    const message = errorMessage(e);
    if (/explanations need an RCN/.test(message)) throw apiError(ErrorCode.NOT_AVAILABLE, message);
    throw badInput(message);
  }
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

/** Each support's region scores and weights for query `q` (sampled episodes, uploads and tasks alike). */
function comparisons(
  r: Pick<ForwardResult, 'regions' | 'regionScores' | 'regionWeights'>,
  q: number,
  supports: number,
  labelOf: (s: number) => number,
  idOf: (s: number) => string | null,
): SupportComparison[] {
  const R = r.regions;
  const out: SupportComparison[] = [];
  for (let s = 0; s < supports; s++) {
    const at = (q * supports + s) * R;
    const scores = Array.from(r.regionScores.subarray(at, at + R), round);
    const weights = Array.from(r.regionWeights.subarray(at, at + R), round);
    let score = 0;
    for (let k = 0; k < R; k++) score += r.regionScores[at + k] * r.regionWeights[at + k];
    out.push({
      index: s,
      label: labelOf(s),
      imageId: idOf(s),
      score: round(score),
      regionScores: scores,
      regionWeights: weights,
    });
  }
  return out;
}

function argmax(xs: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (xs[from + i] > xs[from + best]) best = i;
  return best;
}

/**
 * A worker's forward pass over an episode as the schema's `Prediction` (sampled episodes and tasks alike):
 * each query's prediction with its comparisons to the supports. `featureSize` places the grid of a model
 * without receptive-field geometry.
 */
export function predictionFields(
  r: Pick<ForwardResult, 'probs' | 'regions' | 'regionScores' | 'regionWeights' | 'geometry'>,
  checkpoint: string,
  ep: Episode,
  way: number,
  featureSize: [number, number],
  urlOf: (im: Episode['query'][number], q: number) => string,
) {
  let correct = 0;
  const queries = ep.query.map((im, q) => {
    const predicted = argmax(r.probs, q * way, way);
    if (predicted === im.label) correct++;
    return {
      index: q,
      imageId: im.imageId,
      url: urlOf(im, q),
      trueLabel: im.label,
      predictedLabel: predicted,
      correct: predicted === im.label,
      probabilities: Array.from(r.probs.subarray(q * way, (q + 1) * way), round),
      supports: comparisons(
        r,
        q,
        ep.support.length,
        (s) => ep.support[s].label,
        (s) => ep.support[s].imageId,
      ),
    };
  });
  const grid = r.geometry ?? gridOf(r.regions, featureSize);
  return {
    checkpoint,
    episode: ep,
    accuracy: queries.length ? correct / queries.length : 0,
    regions: r.regions,
    gridRows: grid.rows,
    gridCols: grid.cols,
    grid: r.geometry,
    queries,
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
    gridRows: g.rows,
    gridCols: g.cols,
    imageSize: r.imageSize,
    grid: g,
    regionScores: r.scores.map(round),
    regionWeights: r.weights.map(round),
    contributions: r.contributions.map(round),
    score: round(r.contributions.reduce((a, b) => a + b, 0)),
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
    const ck = resolveCheckpoint(services.config.runsDir, checkpoint);
    const spec = await checkEpisode(services.config.limits, services.datasets, episode);
    const r = await inWorker(() => services.inference.predictEpisode(ck.dir, spec));
    return predictionFields(r, ck.ref, r.episode, spec.way, r.featureSize, (im) =>
      imageUrl(spec.dataset, spec.split, im.imageId),
    );
  },

  ram: async (_p, { checkpoint, episode, query, support, top }, ctx) => {
    const { services } = ctx;
    const ck = resolveCheckpoint(services.config.runsDir, checkpoint);
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
    const r = await inWorker(() => services.inference.ram(ck.dir, spec, query, support));
    return ramFields(r, ck.ref, services.pngs, query, support, top);
  },

  prototypicalParts: async (_p, args, { services }) => {
    const ck = resolveCheckpoint(services.config.runsDir, args.checkpoint);
    return inWorker(() => services.parts.get(ck, args.class, args));
  },
};

export const predictMutation: Pick<MutationResolvers, 'predict'> = {
  predict: async (_p, { checkpoint, supports, queries }, { services }) => {
    const limits = services.config.limits;
    const ck = resolveCheckpoint(services.config.runsDir, checkpoint);
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

    const meta = await readCheckpointMetadata(ck.dir);
    const spec = inputSpecOf(meta);
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
    const r = await inWorker(() =>
      services.inference.predictUpload({
        checkpointDir: ck.dir,
        way,
        shot,
        support: supportArr,
        queries: queryArr,
        queryCount: queries.length,
      }),
    );
    const grid = r.geometry ?? gridOf(r.regions, r.featureSize);
    return {
      checkpoint: ck.ref,
      classes,
      way,
      shot,
      regions: r.regions,
      gridRows: grid.rows,
      gridCols: grid.cols,
      grid: r.geometry,
      queries: queries.map((_q, qi) => {
        const predicted = argmax(r.probs, qi * way, way);
        const t = trueLabels[qi]?.trim() ?? null;
        return {
          index: qi,
          probabilities: Array.from(r.probs.subarray(qi * way, (qi + 1) * way), round),
          predictedLabel: predicted,
          predictedClass: classes[predicted],
          trueClass: t,
          correct: t === null ? null : classes[predicted] === t,
          supports: comparisons(
            r,
            qi,
            way * shot,
            (s) => Math.floor(s / shot),
            (s) => `upload:supports[${order[s]}]`,
          ),
        };
      }),
    };
  },
};
