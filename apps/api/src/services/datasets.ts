/**
 * Datasets by registry name only: a client can name a dataset the data folder holds, never a path (core's
 * `openDataset` also accepts folder paths, so every name is checked against discovery first).
 */
import {
  discoverDatasets,
  findDatasets,
  openDataset,
  type DatasetEntry,
  type FewShotDataset,
  PromiseCache,
} from '@rcn/core';
import { badInput, notFound } from '../graphql/errors.js';

export class DatasetService {
  private counted: { key: string; entries: Promise<DatasetEntry[]> } | null = null;
  private readonly open = new PromiseCache<string, FewShotDataset>();

  constructor(readonly dataDir: string) {}

  /**
   * Datasets with per-split counts. Discovery is cheap and runs every time; counting opens every split
   * (Omniglot's archives take a second), so counts are kept until the set of datasets changes.
   */
  async list(): Promise<DatasetEntry[]> {
    const found = await discoverDatasets(this.dataDir);
    const key = JSON.stringify(found.map((e) => [e.name, e.format, e.path, e.splits]));
    if (!this.counted || this.counted.key !== key) {
      const entries = findDatasets(this.dataDir);
      entries.catch(() => (this.counted = null));
      this.counted = { key, entries };
    }
    return this.counted.entries;
  }

  async entry(name: string): Promise<DatasetEntry> {
    if (typeof name !== 'string' || !name || name.length > 200)
      throw badInput('dataset: expected a dataset name', 'dataset');
    const entries = await discoverDatasets(this.dataDir);
    const e = entries.find((x) => x.name === name);
    if (!e)
      throw notFound(
        `no dataset '${name}' in the data folder (have: ${entries.map((x) => x.name).join(', ') || 'none'})`,
      );
    return e;
  }

  /** One split, opened once and kept (images are decoded lazily and cached by the dataset). */
  async split(name: string, split: string): Promise<FewShotDataset> {
    const e = await this.entry(name);
    if (!e.splits.includes(split))
      throw badInput(`dataset '${name}' has no split '${split}' (has: ${e.splits.join(', ')})`, 'split');
    const key = `${name}\u0000${split}`;
    return this.open.get(key, () => openDataset(name, split, { dataDir: this.dataDir }));
  }
}

/** URL of a dataset image (served by the HTTP layer); ids may hold '/', so every part is encoded. */
export function imageUrl(dataset: string, split: string, imageId: string): string {
  return `/images/${encodeURIComponent(dataset)}/${encodeURIComponent(split)}/${encodeURIComponent(imageId)}.png`;
}
