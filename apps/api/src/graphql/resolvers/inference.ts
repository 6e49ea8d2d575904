/** Predictions, RAMs and uploads: everything that runs a model. */
import type { EpisodeImage } from '@rcn/core';
import type { ForwardResult } from '../../workers/inference-tasks.js';
import { imageUrl } from '../../services/datasets.js';
import { gridOf, readCheckpointMetadata, regionBox } from '../../services/inference.js';
import { resolveCheckpoint } from '../../services/paths.js';
import { encodePng, heatmapOverlay, upscale, type RawImage } from '../../services/png.js';
import { decodeBase64, imageInto, normalisationOf } from '../../services/upload.js';
import { checkEpisode, checkShape } from '../../services/validate.js';
import { errorMessage } from '../../util/errors.js';
import { ErrorCode, apiError, badInput, boundedInt, limitExceeded } from '../errors.js';
import type { Context, Resolvers, SupportComparison } from '../types.js';
import type { GraphQLError } from 'graphql';

/** Worker errors are about the input (the data or the checkpoint), never about the server's state. */
async function inWorker<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if ((e as GraphQLError).extensions?.code) throw e;
    throw badInput(errorMessage(e));
  }
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

function comparisons(
  r: ForwardResult,
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

async function datasetImage(
  ctx: Context,
  dataset: string,
  split: string,
  im: EpisodeImage,
): Promise<RawImage> {
  const ds = await ctx.services.datasets.split(dataset, split);
  return {
    pixels: await ds.getImage(im.imageId),
    width: ds.shape.width,
    height: ds.shape.height,
    channels: ds.shape.channels,
  };
}

export const inferenceQueries: Pick<Resolvers['Query'], 'prediction' | 'ram' | 'prototypicalParts'> = {
  prediction: async (_p, { checkpoint, episode }, ctx) => {
    const { services } = ctx;
    const ck = resolveCheckpoint(services.config.runsDir, checkpoint);
    const spec = await checkEpisode(services.config.limits, services.datasets, episode);
    const r = await inWorker(() => services.inference.predictEpisode(ck.dir, spec));
    const ep = r.episode;
    const way = spec.way;
    let correct = 0;
    const queries = ep.query.map((im, q) => {
      const predicted = argmax(r.probs, q * way, way);
      if (predicted === im.label) correct++;
      return {
        index: q,
        imageId: im.imageId,
        url: imageUrl(spec.dataset, spec.split, im.imageId),
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
    const grid = gridOf(r.regions, r.featureSize);
    return {
      checkpoint: ck.ref,
      episode: ep,
      accuracy: queries.length ? correct / queries.length : 0,
      regions: r.regions,
      gridRows: grid.rows,
      gridCols: grid.cols,
      queries,
    };
  },

  ram: async (_p, { checkpoint, episode, query, support, top }, ctx) => {
    const { services } = ctx;
    const ck = resolveCheckpoint(services.config.runsDir, checkpoint);
    const spec = await checkEpisode(services.config.limits, services.datasets, episode);
    boundedInt(query, 'query', 0, spec.way * spec.query - 1);
    boundedInt(support, 'support', 0, spec.way * spec.shot - 1);
    boundedInt(top, 'top', 0, 1000);
    if (spec.query < 1) throw badInput('a RAM needs an episode with queries (query >= 1)', 'episode.query');
    const r = await inWorker(() => services.inference.ram(ck.dir, spec, query, support));
    const ep = r.episode;
    const R = r.regions;
    const S = ep.support.length;
    const at = (query * S + support) * R;
    const scores = Array.from(r.regionScores.subarray(at, at + R));
    const weights = Array.from(r.regionWeights.subarray(at, at + R));
    const contributions = scores.map((s, k) => s * weights[k]);
    const grid = gridOf(R, r.featureSize);
    const box = (k: number) => regionBox(k, grid, r.featureSize, r.imageSize);
    const matches = contributions
      .map((c, k) => {
        const j = argmax(r.similarity, k * R, R);
        return {
          supportRegion: k,
          queryRegion: j,
          similarity: round(r.similarity[k * R + j]),
          weight: round(weights[k]),
          contribution: round(c),
          supportBox: box(k),
          queryBox: box(j),
        };
      })
      .sort((a, b) => b.contribution - a.contribution)
      .slice(0, top);

    const sImg = await datasetImage(ctx, spec.dataset, spec.split, ep.support[support]);
    const qImg = await datasetImage(ctx, spec.dataset, spec.split, ep.query[query]);
    const factor = Math.max(1, Math.ceil(128 / sImg.width));
    const put = async (img: RawImage) => services.pngs.put(await encodePng(upscale(img, factor)));
    const [sUrl, qUrl, scUrl, wUrl, cUrl] = await Promise.all([
      put(sImg),
      put(qImg),
      put(heatmapOverlay(sImg, scores, grid.rows, grid.cols)),
      put(heatmapOverlay(sImg, weights, grid.rows, grid.cols)),
      put(heatmapOverlay(sImg, contributions, grid.rows, grid.cols)),
    ]);
    const supportLabel = ep.support[support].label;
    return {
      checkpoint: ck.ref,
      episodeId: ep.id,
      query,
      support,
      queryLabel: ep.query[query].label,
      supportLabel,
      gridRows: grid.rows,
      gridCols: grid.cols,
      imageSize: r.imageSize,
      regionScores: scores.map(round),
      regionWeights: weights.map(round),
      contributions: contributions.map(round),
      score: round(contributions.reduce((a, b) => a + b, 0)),
      probability: round(r.probs[query * spec.way + supportLabel]),
      urls: { support: sUrl, query: qUrl, scores: scUrl, weights: wUrl, contributions: cUrl },
      bestMatches: matches,
    };
  },

  prototypicalParts: (_p, { checkpoint }, { services }) => {
    resolveCheckpoint(services.config.runsDir, checkpoint);
    throw apiError(
      ErrorCode.NOT_AVAILABLE,
      'prototypicalParts is not available yet: @rcn/core has no explanation module to compute prototypical parts',
    );
  },
};

export const predictMutation: Pick<Resolvers['Mutation'], 'predict'> = {
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
    const size = meta.model.imageSize;
    const norm = normalisationOf(meta);
    const per = size * size * 3;
    const supportArr = new Float32Array(way * shot * per);
    const queryArr = new Float32Array(queries.length * per);
    const order = classes.flatMap((c) => byClass.get(c)!);
    await Promise.all([
      ...order.map((i, slot) =>
        imageInto(
          decodeBase64(supports[i].data, `supports[${i}].data`, limits),
          `supports[${i}].data`,
          size,
          norm,
          supportArr,
          slot * per,
        ),
      ),
      ...queries.map((q, i) =>
        imageInto(
          decodeBase64(q.data, `queries[${i}].data`, limits),
          `queries[${i}].data`,
          size,
          norm,
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
    return {
      checkpoint: ck.ref,
      classes,
      way,
      shot,
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
