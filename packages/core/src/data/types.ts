/** The one shape every loader yields, whatever the format on disk. */
import type { InputTreatment } from './input-spec.js';

/** Per-channel normalisation, in [0, 1] pixel units: `(x / 255 - mean) / std`. */
export interface NormStats {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

export interface ImageShape {
  readonly height: number;
  readonly width: number;
  /** 1 for grey (Omniglot), 3 for RGB. Batches always have 3 (grey is replicated). */
  readonly channels: 1 | 3;
}

export interface ClassInfo {
  /** Unique within the dataset, stable across machines (e.g. `n01532829`, `Greek/character03@rot90`). */
  readonly id: string;
  /** Readable name for the dashboard (e.g. `house finch`, `Greek, character03, rotated 90°`). */
  readonly name: string;
  /** Ids of its images, each accepted by `FewShotDataset.getImage`. */
  readonly imageIds: readonly string[];
  /** File or folder that defines the class, named in errors. */
  readonly source: string;
  /** Image folders: files in the class folder that are not a supported image, by extension. */
  readonly skipped?: Readonly<Record<string, number>>;
  /**
   * Classes that belong together, for within-group episodes (all their classes from one group): for
   * Omniglot the alphabet of an upright character (`Greek`), the form of Lake's one-shot task; rotated
   * copies belong to none.
   */
  readonly group?: string;
}

/** An image of an episode: its id and its class. */
export interface ImageRef {
  readonly imageId: string;
  readonly classId: string;
}

/** One split of one dataset. */
export interface FewShotDataset {
  /** Registry name, the first field of an episode id (e.g. `omniglot`, `tiny-imagenet-32`). */
  readonly name: string;
  readonly split: string;
  /** Where it was loaded from. */
  readonly root: string;
  /** Shape of every image `getImage` returns. */
  readonly shape: ImageShape;
  readonly classes: readonly ClassInfo[];
  /** Image folders: files not read (unsupported extension) over all classes, by extension. */
  readonly skipped?: Readonly<Record<string, number>>;
  /**
   * How files become `getImage` pixels, recorded in checkpoints so that `predict` treats new images the
   * same (default: `shape.channels` with lanczos3).
   */
  readonly input?: InputTreatment;
  /** Default normalisation for this dataset; batching may override it. */
  readonly normalization: NormStats;
  /**
   * Pixels as HWC uint8 (`shape.height * shape.width * shape.channels` bytes); decoded once, then cached:
   * the array may be shared, so treat it as read-only.
   */
  getImage(imageId: string): Promise<Uint8Array>;
}

/** Normalisation the RCN reference code applies on every channel (Omniglot statistics). */
export const REFERENCE_NORM: NormStats = {
  mean: [0.92206, 0.92206, 0.92206],
  std: [0.08426, 0.08426, 0.08426],
};
/** mini-ImageNet pixel statistics, as used by most few-shot codebases. */
export const MINI_IMAGENET_NORM: NormStats = {
  mean: [120.39586422 / 255, 115.59361427 / 255, 104.54012653 / 255],
  std: [70.68188272 / 255, 68.27635443 / 255, 72.54505529 / 255],
};
/** CIFAR-100 training-set statistics. */
export const CIFAR100_NORM: NormStats = { mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762] };
