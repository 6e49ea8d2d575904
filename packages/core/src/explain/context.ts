/** A trained RCN, its region geometry and its datasets: what every explanation starts from. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openDataset, type FewShotDataset, type NormStats } from '../data/index.js';
import { defaultDataDir } from '../paths/index.js';
import { readCheckpoint, type CheckpointMetadata, RCN, resolveCheckpointDir } from '../model/index.js';
import { regionGeometry, type RegionGeometry } from './geometry.js';

export interface ExplainContext {
  model: RCN;
  metadata: CheckpointMetadata;
  /** The checkpoint directory actually read. */
  checkpointDir: string;
  geometry: RegionGeometry;
  /** The checkpoint's dataset (or the override). */
  dataset: string;
  /** Opens (once) a split of the dataset at the model's image size and normalisation. */
  openSplit(split: string): Promise<FewShotDataset>;
  dispose(): void;
}

export interface ExplainContextOptions {
  dataDir?: string;
  /** Overrides the checkpoint's dataset name. */
  dataset?: string;
}

/** The geometry of the model (throws for configurations the explanations do not cover). */
export function modelGeometry(model: RCN): RegionGeometry {
  return regionGeometry(model.config);
}

/**
 * Loads a checkpoint for explanation: `checkpoint` is a checkpoint directory or a run directory (then its
 * best checkpoint). Only RCN checkpoints can be explained by region.
 */
export async function loadExplainContext(
  checkpoint: string,
  opts: ExplainContextOptions = {},
): Promise<ExplainContext> {
  let dir = resolve(checkpoint);
  if (existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'checkpoints')))
    dir = join(dir, 'checkpoints', 'best');
  dir = resolveCheckpointDir(dir);
  const { metadata, weights } = await readCheckpoint(dir);
  const method = (metadata.extra?.method as string | undefined) ?? 'rcn';
  if (method !== 'rcn' || metadata.architecture !== 'rcn')
    throw new Error(`${dir}: a '${method}' checkpoint; region explanations need an RCN`);
  const dataset = opts.dataset ?? metadata.dataset;
  if (!dataset) throw new Error(`${dir}: the checkpoint names no dataset; pass one`);
  const model = new RCN(metadata.model);
  try {
    model.setWeights(weights);
  } catch (e) {
    model.dispose();
    throw new Error(`${dir}: ${(e as Error).message}`);
  }
  const normalization: NormStats | undefined = metadata.normalisation
    ? {
        mean: metadata.normalisation.mean as unknown as NormStats['mean'],
        std: metadata.normalisation.std as unknown as NormStats['std'],
      }
    : undefined;
  const dataDir = opts.dataDir ?? defaultDataDir();
  const splits = new Map<string, Promise<FewShotDataset>>();
  return {
    model,
    metadata,
    checkpointDir: dir,
    geometry: modelGeometry(model),
    dataset,
    openSplit(split) {
      let p = splits.get(split);
      if (!p) {
        p = openDataset(dataset, split, { dataDir, imageSize: model.config.imageSize, normalization });
        splits.set(split, p);
      }
      return p;
    },
    dispose: () => model.dispose(),
  };
}
