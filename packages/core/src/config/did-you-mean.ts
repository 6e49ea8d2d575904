/** "Did you mean ...?" for a mistyped key: the closest known one, if it is close enough to be the intent. */
import { closest, distance } from 'fastest-levenshtein';

/**
 * The known key nearest to `key` by edit distance (case-insensitive), or undefined when none is within a
 * third of the key's length (at least 2 edits): `episodez` -> `episodes`, `backbon` -> `backbone`, but
 * nothing for `colour`.
 */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const lower = known.map((k) => k.toLowerCase());
  const best = closest(key.toLowerCase(), lower);
  const limit = Math.max(2, Math.floor(key.length / 3));
  return distance(key.toLowerCase(), best) <= limit ? known[lower.indexOf(best)] : undefined;
}
