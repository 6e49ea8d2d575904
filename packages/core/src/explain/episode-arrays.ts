/**
 * An episode given as arrays, predicted and explained by one pass: `runEpisode`'s answer (predict/) with the
 * Region Activation Maps' numbers, for an RCN. The browser's on-device page runs it, as the server's
 * explorer does through the Explainer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { arraysToTensors, type EpisodeArrays } from '../episodes/browser.js';
import { RCN } from '../model/browser.js';
import {
  checkEpisodeArrays,
  episodePrediction,
  type EpisodeModel,
  type EpisodePrediction,
} from '../predict/browser.js';
import { computeEpisodeRam, type EpisodeRam } from './ram.js';

export interface ExplainedEpisode {
  prediction: EpisodePrediction;
  /** Every number of the maps (similarities, best matches). */
  ram: EpisodeRam;
}

/** Runs an RCN `m` on the episode `a` (as `runEpisode` takes it) with its maps; every tensor is released. */
export async function explainEpisodeArrays(m: EpisodeModel, a: EpisodeArrays): Promise<ExplainedEpisode> {
  if (!(m.model instanceof RCN)) throw new Error(`region maps need an RCN checkpoint, not ${m.method}`);
  checkEpisodeArrays(m.model, a);
  const t = arraysToTensors(a);
  try {
    const batch = { support: t.support, query: t.query, way: a.way, shot: a.shot };
    const ram = await computeEpisodeRam(m.model, batch, { labels: a.queryLabels });
    // EpisodeRam carries the forward pass's outputs under the names episodePrediction reads.
    return { prediction: episodePrediction(ram, m.method, m.geometry), ram };
  } finally {
    tf.dispose([t.support, t.query, t.supportLabels, t.queryLabels]);
  }
}
