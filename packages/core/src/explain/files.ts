/**
 * A user's own image files explained: `predictFiles` (predict/) with each chunk of queries run through
 * `computeEpisodeRam`, so the predictions and their Region Activation Maps come from one pass. Explanation
 * builds on prediction, never the reverse.
 */
import type { Episode } from '../episodes/index.js';
import type { InputSpec, PreprocessedImage } from '../data/index.js';
import { regionGeometry, type RCN } from '../model/index.js';
import { predictFiles, type LabelledFile, type PredictResult, type SupportSet } from '../predict/index.js';
import type { EpisodeExplanation } from './episode.js';
import { computeEpisodeRam, predictions } from './ram.js';
import { toRgb } from './render.js';

/** The predictions of `predictFiles` and, per chunk of queries, one explained "episode". */
export async function explainFiles(
  model: RCN,
  spec: InputSpec,
  support: SupportSet,
  queries: readonly LabelledFile[],
  opts: { chunk?: number } = {},
): Promise<PredictResult & { explanations: EpisodeExplanation[] }> {
  const explanations: EpisodeExplanation[] = [];
  const rgb = (im: PreprocessedImage) => toRgb(im.pixels, spec.size, spec.size, spec.channels);
  const r = await predictFiles(model, spec, support, queries, {
    ...opts,
    pass: async (batch, c) => {
      const known = c.labels.every((l) => l >= 0);
      const ram = await computeEpisodeRam(model, batch, known ? { labels: Int32Array.from(c.labels) } : {});
      const episode: Episode = {
        id: `predict ${c.first + 1}-${c.first + c.files.length} of ${queries.length}`,
        spec: {
          dataset: 'files',
          split: 'predict',
          way: batch.way,
          shot: support.shot,
          query: c.files.length,
          seed: 0,
          index: c.first,
        },
        classes: support.classes.map((cls) => ({ id: cls, name: cls })),
        support: support.files.map((f) => ({
          imageId: f.path,
          classId: f.label!,
          label: support.classes.indexOf(f.label!),
        })),
        query: c.files.map((f, i) => ({ imageId: f.path, classId: f.label ?? '', label: c.labels[i] })),
      };
      explanations.push({
        episode,
        ram,
        geometry: regionGeometry(model.config),
        predictions: predictions(ram),
        supportImages: c.supportImages.map(rgb),
        queryImages: c.images.map(rgb),
      });
      return ram.probs;
    },
  });
  return { ...r, explanations };
}
