/** The model zoo: the cards of the trained models that ship with the repository (read-only). */
import { listZoo, ZOO_PREFIX } from '@rcn/core';
import type { QueryResolvers, ZooModel } from '../generated.js';

export const zooQueries: Pick<QueryResolvers, 'zoo'> = {
  zoo: async (_p, _a, { services }): Promise<ZooModel[]> =>
    (await listZoo(services.config.zooDir ?? undefined)).map(({ name, card }) => ({
      name,
      ref: `${ZOO_PREFIX}${name}`,
      title: card.title,
      method: card.method,
      backbone: card.backbone,
      dataset: card.dataset,
      imageSize: card.imageSize,
      way: card.training.way,
      shot: card.training.shot,
      episodes: card.training.episodes,
      wallSeconds: card.training.wallSeconds,
      machine: card.machine,
      command: card.command,
      test: card.test,
      validation: card.validation,
      card,
    })),
};
