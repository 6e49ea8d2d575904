/** Datasets and episodes. */
import { sampleEpisode, type Episode } from '@rcn/core';
import { imageUrl } from '../../services/datasets.js';
import { checkEpisode } from '../../services/validate.js';
import { badInput, boundedInt } from '../errors.js';
import type { QueryResolvers, Resolvers } from '../generated.js';
import { errorMessage } from '../../util/errors.js';

const images = (ep: Episode, set: 'support' | 'query') =>
  ep[set].map((im, index) => ({
    index,
    imageId: im.imageId,
    classId: im.classId,
    label: im.label,
    // Episodes of tasks files carry their own (rendered) image URLs.
    url:
      'url' in im && typeof im.url === 'string'
        ? im.url
        : imageUrl(ep.spec.dataset, ep.spec.split, im.imageId),
  }));

export const datasetQueries: Pick<QueryResolvers, 'datasets' | 'dataset' | 'episode'> = {
  datasets: (_p, _a, { services }) => services.datasets.list(),
  dataset: async (_p, { id }, { services }) =>
    (await services.datasets.list()).find((d) => d.name === id) ?? null,
  episode: async (_p, args, { services }) => {
    const spec = await checkEpisode(services.config.limits, services.datasets, args);
    const ds = await services.datasets.split(spec.dataset, spec.split);
    try {
      return sampleEpisode(ds, spec);
    } catch (e) {
      throw badInput(errorMessage(e));
    }
  },
};

export const datasetTypes: Pick<Resolvers, 'Dataset' | 'DatasetSplit' | 'DatasetClass' | 'Episode'> = {
  Dataset: {
    id: (d) => d.name,
    // A split that failed to open is left out (the dataset's `error` says why), so that its counts cannot
    // fail the whole `datasets` list.
    splits: (d) =>
      d.splits
        .filter((name) => !d.error || d.summary?.some((x) => x.split === name))
        .map((name) => ({ entry: d, name })),
    split: (d, { name }) => (d.splits.includes(name) ? { entry: d, name } : null),
    error: (d, _a, { services }) => (d.error ? services.publicText(d.error) : null),
  },
  DatasetSplit: {
    classCount: async (s, _a, { services }) =>
      s.entry.summary?.find((x) => x.split === s.name)?.classes ??
      (await services.datasets.split(s.entry.name, s.name)).classes.length,
    imageCount: async (s, _a, { services }) =>
      s.entry.summary?.find((x) => x.split === s.name)?.images ??
      (await services.datasets.split(s.entry.name, s.name)).classes.reduce(
        (n, c) => n + c.imageIds.length,
        0,
      ),
    imageWidth: async (s, _a, { services }) =>
      (await services.datasets.split(s.entry.name, s.name)).shape.width,
    imageHeight: async (s, _a, { services }) =>
      (await services.datasets.split(s.entry.name, s.name)).shape.height,
    channels: async (s, _a, { services }) =>
      (await services.datasets.split(s.entry.name, s.name)).shape.channels,
    classes: async (s, { offset, limit }, { services }) => {
      boundedInt(offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
      boundedInt(limit, 'limit', 0, 1000);
      const ds = await services.datasets.split(s.entry.name, s.name);
      return ds.classes
        .slice(offset, offset + limit)
        .map((info) => ({ dataset: s.entry.name, split: s.name, info }));
    },
  },
  DatasetClass: {
    id: (c) => c.info.id,
    name: (c) => c.info.name,
    imageCount: (c) => c.info.imageIds.length,
    images: (c, { offset, limit }) => {
      boundedInt(offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
      boundedInt(limit, 'limit', 0, 200);
      return c.info.imageIds
        .slice(offset, offset + limit)
        .map((id) => ({ id, classId: c.info.id, url: imageUrl(c.dataset, c.split, id) }));
    },
  },
  Episode: {
    dataset: (e) => e.spec.dataset,
    split: (e) => e.spec.split,
    way: (e) => e.spec.way,
    shot: (e) => e.spec.shot,
    query: (e) => e.spec.query,
    seed: (e) => e.spec.seed,
    index: (e) => e.spec.index,
    classes: (e) => e.classes.map((c, label) => ({ label, id: c.id, name: c.name })),
    support: (e) => images(e, 'support'),
    queries: (e) => images(e, 'query'),
  },
};
