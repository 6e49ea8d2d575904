/** Shapes of the API's GraphQL results (schema: apps/api/schema.graphql), as the dashboard selects them. */
export type RunStatus = 'running' | 'finished' | 'failed' | 'cancelled' | 'interrupted';
export type JobStatus = 'queued' | 'running' | 'finished' | 'failed' | 'cancelled';

export interface Backend {
  name: string;
  requested: string;
  tfBackend: string;
  version: string;
  coreVersion: string;
  devices: string[];
}

export interface DatasetSplit {
  name: string;
  classCount: number;
  imageCount: number;
  imageWidth: number;
  imageHeight: number;
  channels: number;
}

export interface Dataset {
  id: string;
  name: string;
  format: string;
  splits: DatasetSplit[];
}

export interface DatasetClass {
  id: string;
  name: string;
  imageCount: number;
}

export interface MetricPoint {
  type: 'train' | 'val';
  episode: number;
  loss: number | null;
  accuracy: number;
  lr: number;
  ci95: number | null;
  best: boolean | null;
}

export interface CheckpointModel {
  backbone?: string;
  imageSize?: number;
  regionGrid?: number;
  [k: string]: unknown;
}

export interface Checkpoint {
  ref: string;
  name: string;
  episodes: number | null;
  createdAt: string | null;
  model: CheckpointModel | null;
}

export interface ClassAccuracy {
  id: string;
  name: string;
  correct: number;
  total: number;
  accuracy: number;
}

export interface Evaluation {
  name: string;
  checkpoint: string | null;
  dataset: string;
  split: string;
  way: number;
  shot: number;
  query: number;
  episodes: number;
  seed: number;
  accuracy: number;
  ci95: number;
  loss: number | null;
  perClass: ClassAccuracy[];
  /** Null above `TABLE_MAX_CLASSES` classes (asked with maxClasses): fetched on demand then. */
  confusion: { classes: string[]; matrix: number[][] } | null;
  classCount: number;
  /** The most confused pairs, indices into `classes`. */
  confusionPairs: { trueIndex: number; predictedIndex: number; count: number; share: number }[];
  /** The confusion matrix's classes with readable names, in its order. */
  classes: { index: number; id: string; name: string }[];
  createdAt: string | null;
}

export type RunConfig = Record<string, unknown> & {
  model?: Record<string, unknown>;
  way?: number;
  shot?: number;
  query?: number;
  lr?: number;
  episodes?: number;
};

export interface RunSummary {
  id: string;
  status: RunStatus;
  method: string;
  dataset: string;
  config: RunConfig;
  episode: number;
  totalEpisodes: number;
  bestValAccuracy: number | null;
  bestValCi95: number | null;
  bestEpisode: number | null;
  startedAt: string;
  updatedAt: string;
  error: string | null;
}

export interface RunWithCheckpoints extends RunSummary {
  checkpoints: Checkpoint[];
}

export interface RunDetail extends RunWithCheckpoints {
  metrics: MetricPoint[];
  evaluations: Evaluation[];
}

export interface JobProgress {
  phase: string;
  done: number;
  total: number;
  loss: number | null;
  accuracy: number | null;
  episodesPerSecond: number | null;
  etaSeconds: number | null;
}

export interface Job {
  id: string;
  kind: 'train' | 'evaluate';
  status: JobStatus;
  runId: string | null;
  checkpoint: string | null;
  progress: JobProgress | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface EpisodeClass {
  label: number;
  id: string;
  name: string;
}

export interface EpisodeImage {
  index: number;
  imageId: string;
  classId: string;
  label: number;
  url: string;
}

export interface Episode {
  id: string;
  dataset: string;
  split: string;
  way: number;
  shot: number;
  query: number;
  seed: number;
  index: number;
  classes: EpisodeClass[];
  support: EpisodeImage[];
  queries: EpisodeImage[];
}

export interface EpisodeInput {
  dataset: string;
  split: string;
  way: number;
  shot: number;
  query: number;
  seed: number;
  index: number;
}

export interface SupportComparison {
  index: number;
  label: number;
  imageId: string | null;
  score: number;
  regionScores: number[];
  regionWeights: number[];
}

export interface QueryPrediction {
  index: number;
  imageId: string;
  url: string;
  trueLabel: number;
  predictedLabel: number;
  correct: boolean;
  probabilities: number[];
  supports: SupportComparison[];
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The model's region grid as its receptive fields place it on the image (from the API). */
export interface RegionGrid {
  rows: number;
  cols: number;
  imageSize: number;
  rowCentres: number[];
  colCentres: number[];
  receptiveField: number;
  /** Region k's tile in image pixels, row-major; the tiles partition the image. */
  regions: Box[];
}

export interface Prediction {
  checkpoint: string;
  accuracy: number;
  regions: number;
  gridRows: number;
  gridCols: number;
  grid: RegionGrid | null;
  queries: QueryPrediction[];
}

export interface RegionMatch {
  supportRegion: number;
  queryRegion: number;
  similarity: number;
  weight: number;
  contribution: number;
  supportBox: Box;
  queryBox: Box;
}

export interface Ram {
  query: number;
  support: number;
  gridRows: number;
  gridCols: number;
  imageSize: number;
  regionScores: number[];
  regionWeights: number[];
  contributions: number[];
  score: number;
  probability: number;
  bestMatches: RegionMatch[];
  /** [k][j]: cosine similarity of support region k to query region j. */
  similarity: number[][];
  queryContributions: number[];
  classScore: number;
  share: number[];
  grid: RegionGrid;
  urls: { panel: string; contributions: string; queryContributions: string };
}

export interface PartPatch {
  episode: string;
  imageId: string;
  imageUrl: string;
  patchUrl: string;
  region: number;
  box: Box;
  contribution: number;
  share: number;
}

export interface PrototypicalPart {
  index: number;
  decisions: number;
  frequency: number;
  members: number;
  meanContribution: number;
  patches: PartPatch[];
}

export interface PrototypicalParts {
  checkpoint: string;
  dataset: string;
  split: string;
  classId: string;
  className: string;
  episodes: number;
  way: number;
  shot: number;
  query: number;
  queries: number;
  correctDecisions: number;
  galleryUrl: string;
  grid: RegionGrid;
  parts: PrototypicalPart[];
  seconds: number;
  cached: boolean;
}

export interface UploadQueryPrediction {
  index: number;
  probabilities: number[];
  predictedLabel: number;
  predictedClass: string;
  trueClass: string | null;
  correct: boolean | null;
  supports: SupportComparison[];
}

export interface UploadPrediction {
  checkpoint: string;
  classes: string[];
  way: number;
  shot: number;
  regions: number;
  gridRows: number;
  gridCols: number;
  grid: RegionGrid | null;
  queries: UploadQueryPrediction[];
}
