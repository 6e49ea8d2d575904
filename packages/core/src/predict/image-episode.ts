/** Treated images (one list per class for the supports, and the queries) as an episode's arrays. */
import { normalizeImageInto, type InputSpec, type PreprocessedImage } from '../data/browser.js';
import type { EpisodeArrays } from '../episodes/browser.js';
import { PredictorError } from './episode-prediction.js';

/**
 * Normalises the images (already at the model's size, e.g. from `prepareImage`) into episode arrays:
 * supports class-major, every class with the same number of shots; a query's label is its class index,
 * or -1 where unknown.
 */
export function imagesToArrays(
  spec: InputSpec,
  supports: readonly (readonly PreprocessedImage[])[],
  queries: readonly PreprocessedImage[],
  queryLabels: readonly number[] = queries.map(() => -1),
): EpisodeArrays {
  const way = supports.length;
  const shot = supports[0]?.length ?? 0;
  if (way < 2 || shot < 1 || supports.some((c) => c.length !== shot))
    throw new PredictorError(
      'BAD_INPUT',
      `supports: every one of at least 2 classes needs the same number (>= 1) of images; got ${supports.map((c) => c.length).join(', ')}`,
    );
  if (queryLabels.length !== queries.length)
    throw new PredictorError('BAD_INPUT', `${queries.length} queries but ${queryLabels.length} labels`);
  const per = spec.size * spec.size * 3;
  const into = (imgs: readonly PreprocessedImage[]) => {
    const out = new Float32Array(imgs.length * per);
    imgs.forEach((im, i) => {
      if (im.pixels.length !== spec.size * spec.size * spec.channels)
        throw new PredictorError(
          'BAD_INPUT',
          `an image of ${im.pixels.length} values; the model takes ${spec.size}x${spec.size}x${spec.channels}`,
        );
      normalizeImageInto(im, spec, out, i * per);
    });
    return out;
  };
  return {
    way,
    shot,
    query: queries.length / way,
    height: spec.size,
    width: spec.size,
    support: into(supports.flat()),
    queries: into(queries),
    supportLabels: Int32Array.from({ length: way * shot }, (_v, i) => Math.floor(i / shot)),
    queryLabels: Int32Array.from(queryLabels),
  };
}
