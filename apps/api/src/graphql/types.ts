/**
 * Hand-written types of the schema's resolvers: the parent model of each object type and the arguments of
 * each field. `test/schema.test.ts` checks that this resolver map and schema.graphql name the same fields.
 */
import type { GraphQLResolveInfo, GraphQLScalarType } from 'graphql';
import type {
  BackendInfo,
  CellStatus,
  ClassInfo,
  ConfusedPair,
  DatasetEntry,
  Episode,
  EvalReport,
  RunSummary,
  SweepPlan,
  SweepRow,
} from '@rcn/core';
import type { ApiConfig } from '../config.js';
import type { DatasetService } from '../services/datasets.js';
import type { InferenceService } from '../services/inference.js';
import type { GridGeometry } from '../services/geometry.js';
import type { PartsArgs, PartsService, PrototypicalPartsModel } from '../services/parts.js';
import type { PngStore } from '../services/png.js';
import type { JobManager } from '../jobs/manager.js';
import type { JobRecord, JobStatus, Store } from '../store/types.js';

export interface Services {
  config: ApiConfig;
  store: Store;
  datasets: DatasetService;
  inference: InferenceService;
  jobs: JobManager;
  pngs: PngStore;
  parts: PartsService;
  backend: () => Promise<BackendInfo>;
  /** Text for clients: configured folders made relative (responses never reveal server paths). */
  publicText: (text: string) => string;
}

export interface Context {
  services: Services;
  /** The request carried the configured bearer token. */
  authorized: boolean;
  /** Who asked (the remote address): the key of the per-client work budget. */
  client: string;
}

export type Resolver<P, A, R> = (
  parent: P,
  args: A,
  ctx: Context,
  info: GraphQLResolveInfo,
) => R | Promise<R>;
type NoArgs = Record<string, never>;

// Parent models: what a resolver of the type above returns.
export interface SplitModel {
  entry: DatasetEntry;
  name: string;
}
export interface ClassModel {
  dataset: string;
  split: string;
  info: ClassInfo;
}
export type EvaluationModel = EvalReport & { name: string; checkpoint?: string; createdAt?: string };

export interface EpisodeArgs {
  dataset: string;
  split: string;
  way: number;
  shot: number;
  query: number;
  seed: number;
  index: number;
}
export type EpisodeInput = EpisodeArgs;

export interface TrainConfigInput {
  dataset: string;
  method: string;
  trainSplit: string;
  valSplit: string;
  backbone: string;
  imageSize?: number | null;
  regionGrid?: number | null;
  way: number;
  shot: number;
  query: number;
  valQuery: number;
  episodes: number;
  valEvery: number;
  valEpisodes: number;
  lr: number;
  clipNorm?: number | null;
  augment: boolean;
  seed: number;
  workers: number;
  runId?: string | null;
}

export interface EvaluateInput {
  dataset: string;
  split: string;
  way: number;
  shot: number;
  query: number;
  episodes: number;
  seed: number;
}

export interface LabelledImageInput {
  label: string;
  data: string;
}
export interface ImageInput {
  data: string;
  label?: string | null;
}

/** Results built whole by their resolver (plain objects that match the schema types). */
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
export interface Prediction {
  checkpoint: string;
  episode: Episode;
  accuracy: number;
  regions: number;
  gridRows: number;
  gridCols: number;
  grid: GridGeometry | null;
  queries: QueryPrediction[];
}
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface Ram {
  checkpoint: string;
  episodeId: string;
  query: number;
  support: number;
  queryLabel: number;
  supportLabel: number;
  gridRows: number;
  gridCols: number;
  imageSize: number;
  grid: GridGeometry;
  regionScores: number[];
  regionWeights: number[];
  contributions: number[];
  score: number;
  probability: number;
  urls: {
    support: string;
    query: string;
    scores: string;
    weights: string;
    contributions: string;
    queryContributions: string;
    panel: string;
  };
  bestMatches: {
    supportRegion: number;
    queryRegion: number;
    similarity: number;
    weight: number;
    contribution: number;
    supportBox: Box;
    queryBox: Box;
  }[];
  similarity: number[][];
  queryContributions: number[];
  classScore: number;
  share: number[];
}
export interface UploadPrediction {
  checkpoint: string;
  classes: string[];
  way: number;
  shot: number;
  regions: number;
  gridRows: number;
  gridCols: number;
  grid: GridGeometry | null;
  queries: {
    index: number;
    probabilities: number[];
    predictedLabel: number;
    predictedClass: string;
    trueClass: string | null;
    correct: boolean | null;
    supports: SupportComparison[];
  }[];
}
export interface CheckpointModel {
  ref: string;
  name: string;
  episodes: number | null;
  createdAt: string | null;
  model: unknown;
  metrics: unknown;
}
export interface MetricPoint {
  type: 'train' | 'val';
  episode: number;
  loss: number | null;
  accuracy: number;
  lr: number;
  ci95: number | null;
  episodesPerSecond: number | null;
  best: boolean | null;
  time: string;
}

/** A sweep's plan with its cells' state, read once per request. */
export interface SweepModel {
  plan: SweepPlan;
  status: CellStatus[];
  rows: SweepRow[];
}

export interface Resolvers {
  JSON: GraphQLScalarType;
  Query: {
    backend: Resolver<unknown, NoArgs, BackendInfo>;
    datasets: Resolver<unknown, NoArgs, DatasetEntry[]>;
    dataset: Resolver<unknown, { id: string }, DatasetEntry | null>;
    episode: Resolver<unknown, EpisodeArgs, Episode>;
    runs: Resolver<unknown, { limit: number }, RunSummary[]>;
    run: Resolver<unknown, { id: string }, RunSummary | null>;
    job: Resolver<unknown, { id: string }, JobRecord | null>;
    jobs: Resolver<unknown, { status?: JobStatus[] | null; limit: number }, JobRecord[]>;
    prediction: Resolver<unknown, { checkpoint: string; episode: EpisodeInput }, Prediction>;
    ram: Resolver<
      unknown,
      { checkpoint: string; episode: EpisodeInput; query: number; support: number; top: number },
      Ram
    >;
    prototypicalParts: Resolver<
      unknown,
      { checkpoint: string; class: string } & PartsArgs,
      PrototypicalPartsModel
    >;
    sweeps: Resolver<unknown, { limit: number }, SweepModel[]>;
    sweep: Resolver<unknown, { name: string }, SweepModel | null>;
  };
  Mutation: {
    startTraining: Resolver<unknown, { config: TrainConfigInput }, JobRecord>;
    resumeTraining: Resolver<unknown, { runId: string; episodes?: number | null }, JobRecord>;
    cancelJob: Resolver<unknown, { id: string }, JobRecord>;
    evaluate: Resolver<unknown, { checkpoint: string; config: EvaluateInput }, JobRecord>;
    predict: Resolver<
      unknown,
      { checkpoint: string; supports: LabelledImageInput[]; queries: ImageInput[] },
      UploadPrediction
    >;
  };
  Subscription: {
    job: {
      subscribe: Resolver<unknown, { id: string }, AsyncIterableIterator<JobRecord>>;
      resolve: (payload: JobRecord) => JobRecord;
    };
  };
  Backend: { name: Resolver<BackendInfo, NoArgs, string> };
  Dataset: {
    id: Resolver<DatasetEntry, NoArgs, string>;
    splits: Resolver<DatasetEntry, NoArgs, SplitModel[]>;
    split: Resolver<DatasetEntry, { name: string }, SplitModel | null>;
    error: Resolver<DatasetEntry, NoArgs, string | null>;
  };
  DatasetSplit: {
    classCount: Resolver<SplitModel, NoArgs, number>;
    imageCount: Resolver<SplitModel, NoArgs, number>;
    imageWidth: Resolver<SplitModel, NoArgs, number>;
    imageHeight: Resolver<SplitModel, NoArgs, number>;
    channels: Resolver<SplitModel, NoArgs, number>;
    classes: Resolver<SplitModel, { offset: number; limit: number }, ClassModel[]>;
  };
  DatasetClass: {
    id: Resolver<ClassModel, NoArgs, string>;
    name: Resolver<ClassModel, NoArgs, string>;
    imageCount: Resolver<ClassModel, NoArgs, number>;
    images: Resolver<
      ClassModel,
      { offset: number; limit: number },
      { id: string; classId: string; url: string }[]
    >;
  };
  Episode: {
    dataset: Resolver<Episode, NoArgs, string>;
    split: Resolver<Episode, NoArgs, string>;
    way: Resolver<Episode, NoArgs, number>;
    shot: Resolver<Episode, NoArgs, number>;
    query: Resolver<Episode, NoArgs, number>;
    seed: Resolver<Episode, NoArgs, number>;
    index: Resolver<Episode, NoArgs, number>;
    classes: Resolver<Episode, NoArgs, { label: number; id: string; name: string }[]>;
    support: Resolver<
      Episode,
      NoArgs,
      { index: number; imageId: string; classId: string; label: number; url: string }[]
    >;
    queries: Resolver<
      Episode,
      NoArgs,
      { index: number; imageId: string; classId: string; label: number; url: string }[]
    >;
  };
  Run: {
    config: Resolver<RunSummary, NoArgs, unknown>;
    method: Resolver<RunSummary, NoArgs, string>;
    dataset: Resolver<RunSummary, NoArgs, string>;
    totalEpisodes: Resolver<RunSummary, NoArgs, number>;
    metrics: Resolver<RunSummary, { type?: 'train' | 'val' | null }, MetricPoint[]>;
    checkpoints: Resolver<RunSummary, NoArgs, CheckpointModel[]>;
    evaluations: Resolver<RunSummary, NoArgs, EvaluationModel[]>;
    error: Resolver<RunSummary, NoArgs, string | null>;
  };
  Evaluation: {
    confusion: Resolver<EvaluationModel, { maxClasses?: number | null }, EvaluationModel['confusion'] | null>;
    classCount: Resolver<EvaluationModel, NoArgs, number>;
    confusionPairs: Resolver<EvaluationModel, { limit?: number | null }, ConfusedPair[]>;
    perClass: Resolver<EvaluationModel, NoArgs, EvalReport['perClass']>;
    classes: Resolver<EvaluationModel, NoArgs, { index: number; id: string; name: string }[]>;
    checkpoint: Resolver<EvaluationModel, NoArgs, string | null>;
  };
  Job: {
    config: Resolver<JobRecord, NoArgs, unknown>;
    run: Resolver<JobRecord, NoArgs, RunSummary | null>;
    evaluation: Resolver<JobRecord, NoArgs, EvaluationModel | null>;
    error: Resolver<JobRecord, NoArgs, string | null>;
  };
  Sweep: {
    name: Resolver<SweepModel, NoArgs, string>;
    keys: Resolver<SweepModel, NoArgs, string[]>;
    progress: Resolver<
      SweepModel,
      NoArgs,
      { cells: number; done: number; running: number; pending: number; failed: number }
    >;
    cells: Resolver<SweepModel, NoArgs, CellStatus[]>;
    table: Resolver<SweepModel, NoArgs, SweepRow[]>;
    markdown: Resolver<SweepModel, NoArgs, string>;
    csv: Resolver<SweepModel, NoArgs, string>;
  };
}
