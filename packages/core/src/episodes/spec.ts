/**
 * Episode identity: (dataset, split, way, shot, query, seed, index), written `dataset:split:way:shot:query:seed:index`,
 * and `:group` appended for a within-group episode. The identity alone rebuilds the episode (and its
 * augmented batch), on any machine.
 */
export interface EpisodeSpec {
  /** Registry name of the dataset (no ':'). */
  dataset: string;
  split: string;
  /** N classes. */
  way: number;
  /** K support images per class. */
  shot: number;
  /** Q query images per class. */
  query: number;
  /** Stream seed (a safe integer). */
  seed: number;
  /** Episode number within the stream (>= 0). */
  index: number;
  /**
   * All classes from one class group (`ClassInfo.group`; Omniglot: one alphabet), as Lake's one-shot task
   * draws them: harder than classes from anywhere, since characters of one alphabet look alike.
   */
  withinGroup?: boolean;
}

function checkInt(v: number, what: string, min: number): void {
  if (!Number.isSafeInteger(v) || v < min)
    throw new Error(`episode ${what} must be an integer >= ${min}, got ${v}`);
}

export function validateEpisodeSpec(s: EpisodeSpec): EpisodeSpec {
  for (const [k, v] of [
    ['dataset', s.dataset],
    ['split', s.split],
  ] as const) {
    if (typeof v !== 'string' || !v || v.includes(':'))
      throw new Error(`episode ${k} must be a non-empty string without ':', got ${JSON.stringify(v)}`);
  }
  checkInt(s.way, 'way', 1);
  checkInt(s.shot, 'shot', 1);
  checkInt(s.query, 'query', 0);
  checkInt(s.seed, 'seed', Number.MIN_SAFE_INTEGER);
  checkInt(s.index, 'index', 0);
  if (s.withinGroup !== undefined && typeof s.withinGroup !== 'boolean')
    throw new Error(`episode withinGroup must be true or false, got ${JSON.stringify(s.withinGroup)}`);
  return s;
}

export function formatEpisodeId(s: EpisodeSpec): string {
  validateEpisodeSpec(s);
  const id = [s.dataset, s.split, s.way, s.shot, s.query, s.seed, s.index].join(':');
  return s.withinGroup ? `${id}:${GROUP_SUFFIX}` : id;
}

const GROUP_SUFFIX = 'group';

/** Parses `dataset:split:way:shot:query:seed:index`; errors say which field is wrong. */
export function parseEpisodeId(id: string): EpisodeSpec {
  const parts = id.split(':');
  const withinGroup = parts.length === 8 && parts[7] === GROUP_SUFFIX;
  if (parts.length === 8 && !withinGroup)
    throw new Error(`bad episode id '${id}': the 8th field may only be '${GROUP_SUFFIX}', got '${parts[7]}'`);
  if (parts.length !== 7 && !withinGroup)
    throw new Error(
      `bad episode id '${id}': expected dataset:split:way:shot:query:seed:index[:${GROUP_SUFFIX}] (7 or 8 fields, got ${parts.length})`,
    );
  const num = (i: number, what: string) => {
    if (!/^-?\d+$/.test(parts[i]))
      throw new Error(`bad episode id '${id}': ${what} '${parts[i]}' is not an integer`);
    return Number(parts[i]);
  };
  return validateEpisodeSpec({
    dataset: parts[0],
    split: parts[1],
    way: num(2, 'way'),
    shot: num(3, 'shot'),
    query: num(4, 'query'),
    seed: num(5, 'seed'),
    index: num(6, 'index'),
    ...(withinGroup ? { withinGroup } : {}),
  });
}
