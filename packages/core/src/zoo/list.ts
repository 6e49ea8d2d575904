/** The models of a zoo folder, and the one a command uses when the user has no run of their own. */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isGreyImageFile } from '../data/index.js';
import { defaultZooDir, ZOO_NAME } from '../paths/index.js';
import { readZooCard, ZOO_CARD_FILE, type ZooCard } from './card.js';

export interface ZooModel {
  name: string;
  /** The checkpoint folder (model.json, weights, metadata.json) that also holds card.json. */
  dir: string;
  card: ZooCard;
}

/** Every model of the zoo, by name; a folder without a card is not a zoo model, a bad card is an error. */
export async function listZoo(zooDir: string | undefined): Promise<ZooModel[]> {
  if (!zooDir || !existsSync(zooDir)) return [];
  const names = (await readdir(zooDir, { withFileTypes: true }))
    .filter(
      (d) => d.isDirectory() && ZOO_NAME.test(d.name) && existsSync(join(zooDir, d.name, ZOO_CARD_FILE)),
    )
    .map((d) => d.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      dir: join(zooDir, name),
      card: await readZooCard(join(zooDir, name)),
    })),
  );
}

export interface ZooQuery {
  dataset?: string;
  /** Image channels of the user's images (1: grey, Omniglot; 3: colour). */
  channels?: 1 | 3;
  method?: string;
}

const GREY_DATASETS = new Set(['omniglot']);

/**
 * The zoo model for a query, or null: among the matches an RCN first (its decisions can be explained),
 * then one trained on the standard split, then the fewest training classes per episode (a user's own
 * episodes are small), then the lowest seed, then by name. The order is fixed, so every command picks alike.
 */
export function pickZooModel(models: readonly ZooModel[], q: ZooQuery): ZooModel | null {
  const matches = models.filter(
    (m) =>
      (q.dataset === undefined || m.card.dataset === q.dataset) &&
      (q.method === undefined || m.card.method === q.method) &&
      (q.channels === undefined || GREY_DATASETS.has(m.card.dataset) === (q.channels === 1)),
  );
  const rank = (m: ZooModel) => [
    m.card.method === 'rcn' ? 0 : 1,
    m.card.splits.train === 'train' ? 0 : 1,
    m.card.training.way,
    m.card.training.seed,
  ];
  matches.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  return matches[0] ?? null;
}

/**
 * The zoo model a command uses when the user names no checkpoint: the one for `dataset`, or for the kind of
 * image `imageFile` is (grey: Omniglot; colour: a natural-image model). Throws, saying what is missing and
 * what the zoo holds, when none fits.
 */
export async function zooModelFor(
  q: { dataset?: string; imageFile?: string },
  zooDir: string | undefined = defaultZooDir(),
): Promise<ZooModel> {
  const models = await listZoo(zooDir);
  const channels = q.imageFile ? ((await isGreyImageFile(q.imageFile)) ? 1 : 3) : undefined;
  const m = pickZooModel(models, { dataset: q.dataset, channels });
  if (m) return m;
  const what = q.dataset ? `dataset '${q.dataset}'` : channels === 1 ? 'grey images' : 'colour images';
  throw new Error(
    `no checkpoint given and the model zoo has none for ${what} ` +
      `(${zooDir ? `zoo ${zooDir}: ${models.map((x) => x.name).join(', ') || 'empty'}` : 'no zoo folder'}); ` +
      'pass --checkpoint <run or checkpoint folder>',
  );
}
