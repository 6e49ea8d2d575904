/**
 * One forward pass over an episode given as arrays, answered as an `EpisodePrediction`. The server's
 * Predictor and the browser entry both run episodes here, so the checks, the batching (every support and
 * query in one pass, as batch-statistics BatchNorm needs) and the reads are the same; explain/'s
 * `explainEpisodeArrays` runs the same episode with its Region Activation Maps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { arraysToTensors, type EpisodeArrays } from '../episodes/browser.js';
import { disposeOutput, type FewShotModel, type Method, type RegionGeometry } from '../model/browser.js';
import { episodePrediction, PredictorError, type EpisodePrediction } from './episode-prediction.js';

/** A loaded checkpoint as far as running it goes (`openCheckpoint`'s and `fetchCheckpoint`'s answers fit). */
export interface EpisodeModel {
  model: FewShotModel;
  method: Method;
  geometry: RegionGeometry | null;
}

/** Refuses arrays that do not make an episode of this model's image size (BAD_INPUT). */
export function checkEpisodeArrays(model: FewShotModel, a: EpisodeArrays): void {
  const size = model.config.imageSize;
  const per = size * size * 3;
  const nS = a.way * a.shot;
  const nQ = a.queryLabels.length;
  if (a.way < 2 || a.shot < 1 || nQ < 1)
    throw new PredictorError(
      'BAD_INPUT',
      `an episode needs way >= 2, shot >= 1 and a query (got ${a.way}, ${a.shot}, ${nQ})`,
    );
  if (a.height !== size || a.width !== size)
    throw new PredictorError(
      'BAD_INPUT',
      `images are ${a.height}x${a.width}; the model takes ${size}x${size}`,
    );
  if (a.support.length !== nS * per || a.supportLabels.length !== nS || a.queries.length !== nQ * per)
    throw new PredictorError(
      'BAD_INPUT',
      `expected ${nS} supports and ${nQ} queries of ${size}x${size}x3 values, got ${a.support.length / per} and ${a.queries.length / per}`,
    );
}

/**
 * Runs `m` on the episode `a` (supports class-major, HWC float32 already treated and normalised as the
 * checkpoint's input spec says). Reads are asynchronous, as webgpu needs; every tensor is released.
 */
export async function runEpisode(m: EpisodeModel, a: EpisodeArrays): Promise<EpisodePrediction> {
  checkEpisodeArrays(m.model, a);
  const t = arraysToTensors(a);
  try {
    const batch = { support: t.support, query: t.query, way: a.way, shot: a.shot };
    const out = m.model.forward(batch, { training: false, intermediates: false });
    try {
      const probs = (await out.probs.data()) as Float32Array;
      const classScores = (await out.classScores.data()) as Float32Array;
      const r = out.regionScores && out.regionWeights ? out.regionScores : null;
      const regionScores = r ? ((await r.data()) as Float32Array) : null;
      const regionWeights = r ? ((await out.regionWeights!.data()) as Float32Array) : null;
      const o = {
        way: a.way,
        shot: a.shot,
        probs,
        classScores,
        regions: r ? r.shape[2] : 0,
        regionScores,
        regionWeights,
      };
      return episodePrediction(o, m.method, m.geometry);
    } finally {
      disposeOutput(out);
    }
  } finally {
    tf.dispose([t.support, t.query, t.supportLabels, t.queryLabels]);
  }
}
