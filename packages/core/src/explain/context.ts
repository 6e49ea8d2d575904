/** A trained RCN, its region geometry and its datasets: what every explanation starts from. */
import { openDataset, type FewShotDataset } from '../data/index.js';
import { defaultDataDir } from '../paths/index.js';
import {
  type CheckpointMetadata,
  openCheckpoint,
  type OpenCheckpointOptions,
  RCN,
  regionGeometry,
  type RegionGeometry,
} from '../model/index.js';
import { PromiseCache } from '../util/index.js';

/** Why an explanation cannot be made; `code` is stable for callers. */
export class ExplainError extends Error {
  override name = 'ExplainError';
  constructor(
    readonly code: 'NOT_AN_RCN' | 'NO_DATASET',
    message: string,
  ) {
    super(message);
  }
}

export interface ExplainContext {
  model: RCN;
  metadata: CheckpointMetadata;
  /** The checkpoint directory actually read. */
  checkpointDir: string;
  /**
   * Where outputs about this checkpoint go by default: the checkpoint's folder, or for a zoo model its
   * folder under the runs folder (the zoo stays as committed).
   */
  outputDir: string;
  geometry: RegionGeometry;
  /** The checkpoint's dataset (or the override). */
  dataset: string;
  /** Opens (once) a split of the dataset at the model's image size and normalisation. */
  openSplit(split: string): Promise<FewShotDataset>;
  dispose(): void;
}

export interface ExplainContextOptions extends Pick<OpenCheckpointOptions, 'runsDir' | 'name'> {
  dataDir?: string;
  /** Overrides the checkpoint's dataset name. */
  dataset?: string;
}

/** The geometry of the model (throws for configurations the explanations do not cover). */
export function modelGeometry(model: RCN): RegionGeometry {
  return regionGeometry(model.config);
}

/**
 * Opens a checkpoint for explanation (any reference `openCheckpoint` takes). Only RCN checkpoints can be
 * explained by region.
 */
export async function loadExplainContext(
  checkpoint: string,
  opts: ExplainContextOptions = {},
): Promise<ExplainContext> {
  const ck = await openCheckpoint(checkpoint, opts);
  const { model, geometry } = ck;
  if (!(model instanceof RCN) || !geometry) {
    ck.dispose();
    throw new ExplainError(
      'NOT_AN_RCN',
      `${ck.dir}: a '${ck.method}' checkpoint; region explanations need an RCN`,
    );
  }
  const dataset = opts.dataset ?? ck.dataset;
  if (!dataset) {
    ck.dispose();
    throw new ExplainError('NO_DATASET', `${ck.dir}: the checkpoint names no dataset; pass one`);
  }
  const dataDir = opts.dataDir ?? defaultDataDir();
  const splits = new PromiseCache<string, FewShotDataset>();
  return {
    model,
    metadata: ck.metadata,
    checkpointDir: ck.dir,
    outputDir: ck.reportsDir ?? ck.dir,
    geometry,
    dataset,
    openSplit(split) {
      return splits.get(split, () =>
        openDataset(dataset, split, {
          dataDir,
          imageSize: model.config.imageSize,
          normalization: ck.normalization,
        }),
      );
    },
    dispose: () => ck.dispose(),
  };
}
