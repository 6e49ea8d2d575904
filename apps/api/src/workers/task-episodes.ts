/**
 * Worker-side view of one episode of a fixed tasks file (the explorer's "open a task"): the images as the
 * checkpoint sees them, its predictions and, for an RCN, the region activation maps of a (query, support)
 * pair. Core's `predictFiles` gives the checkpoint's input treatment (as `rcn predict` and `eval --tasks`);
 * the last few explained episodes are kept, so moving between supports does not run the model again.
 */
import {
  ExplainError,
  RCN,
  encodePng,
  episodePrediction,
  openCheckpoint,
  PromiseCache,
  explainFiles,
  resizeNearest,
  resolveCheckpointDir,
  type EpisodeExplanation,
  type EpisodePrediction,
  type LabelledFile,
  type OpenedCheckpoint,
  type SupportSet,
} from '@rcn/core';
import { geometryOf, type GridGeometry } from '../services/geometry.js';
import { pairResult, type RamResult } from './pair-ram.js';
import { cached, stampOf, stampedCache } from './stamped-cache.js';

export interface TaskEpisodePayload {
  checkpointDir: string;
  /** Identifies the episode's version (tasks file, its stamp, episode index) for the worker's cache. */
  key: string;
  support: SupportSet;
  query: LabelledFile[];
}

export interface TaskRamPayload extends TaskEpisodePayload {
  pair: { query: number; support: number };
}

export interface TaskPredictResult {
  /** Core's prediction of the episode (per query, per support r_k, w_k, w_k r_k). */
  prediction: EpisodePrediction;
  imageSize: number;
  geometry: GridGeometry;
  /** Per query: why it looks unlike the training data, or null. */
  warnings: (string | null)[];
  /** The images as the model sees them (PNG), class-major supports then queries. */
  supportPngs: Uint8Array[];
  queryPngs: Uint8Array[];
}

interface Explained {
  result: TaskPredictResult;
  x: EpisodeExplanation;
}

const MAX_EPISODES = 4;
const models = stampedCache<OpenedCheckpoint>(2);
const episodes = new PromiseCache<string, Explained>({ max: MAX_EPISODES, refreshOnHit: true });

function modelOf(dir: string): Promise<OpenedCheckpoint> {
  const real = resolveCheckpointDir(dir);
  return cached(models, dir, real, () => openCheckpoint(real));
}

async function explain(p: TaskEpisodePayload): Promise<Explained> {
  const { model, method, input: spec, geometry } = await modelOf(p.checkpointDir);
  if (!(model instanceof RCN) || !geometry)
    throw new ExplainError(
      'NOT_AN_RCN',
      'the explorer opens tasks with an RCN checkpoint (region explanations); evaluate other methods with evaluateTasks',
    );
  // One forward pass for the whole episode (callers bound its size), so BatchNorm sees it as `predict` does.
  const r = await explainFiles(model, spec, p.support, p.query, { chunk: Math.max(1, p.query.length) });
  const x = r.explanations[0];
  if (!x) throw new Error('explainFiles gave no explanation for an RCN episode');
  const size = spec.size * Math.max(1, Math.ceil(96 / spec.size));
  const png = async (img: EpisodeExplanation['supportImages'][number]) =>
    new Uint8Array(await encodePng(resizeNearest(img, size)));
  return {
    x,
    result: {
      prediction: episodePrediction(x.ram, method, geometry),
      imageSize: spec.size,
      geometry: geometryOf(geometry),
      warnings: r.queries.map((q) => q.warning),
      supportPngs: await Promise.all(x.supportImages.map(png)),
      queryPngs: await Promise.all(x.queryImages.map(png)),
    },
  };
}

function explained(p: TaskEpisodePayload): Promise<Explained> {
  const key = `${p.checkpointDir}\u0000${stampOf(resolveCheckpointDir(p.checkpointDir))}\u0000${p.key}`;
  return episodes.get(key, () => explain(p));
}

export const taskEpisodeTasks = {
  'tasks.predict': async (p: TaskEpisodePayload): Promise<TaskPredictResult> => (await explained(p)).result,
  'tasks.ram': async (p: TaskRamPayload): Promise<RamResult> => {
    const { x } = await explained(p);
    return pairResult(x, p.pair.query, p.pair.support);
  },
};
