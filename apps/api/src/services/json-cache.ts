/**
 * Parsed JSON files (evaluation reports, tasks files) kept in memory between requests: a 2,000-class
 * report is ~8 MB of JSON, and the run page asks for it in several queries. An entry is valid while the
 * file's path, mtime and size are unchanged (reports are replaced by atomic rename, which changes both);
 * the cache is bounded by the bytes of the files it holds.
 */
import { stat, readFile } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';

interface Entry {
  /** mtime and size of the version parsed. */
  stamp: string;
  value: unknown;
  bytes: number;
}

export interface JsonCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

export class JsonFileCache {
  private readonly lru: LRUCache<string, Entry>;
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private hits = 0;
  private misses = 0;

  /** `maxBytes`: total size of the cached files (their parsed form takes a few times that). */
  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      sizeCalculation: (e) => Math.max(1, e.bytes),
    });
  }

  /**
   * The parsed file, checked by `parse` (which may reshape it); `parse` runs once per file version.
   * Errors (missing file, bad JSON, a refused shape) are thrown and never cached.
   */
  async read<T>(path: string, parse: (json: unknown) => T = (j) => j as T): Promise<T> {
    const s = await stat(path);
    const stamp = `${s.mtimeMs}:${s.size}`;
    const hit = this.lru.get(path);
    if (hit && hit.stamp === stamp) {
      this.hits++;
      return hit.value as T;
    }
    this.misses++;
    // Concurrent requests for one version (the run page's queries arrive together) share one parse.
    const flightKey = `${path}\u0000${stamp}`;
    let flight = this.inFlight.get(flightKey);
    if (!flight) {
      flight = readFile(path, 'utf8')
        .then((text) => parse(JSON.parse(text) as unknown))
        .finally(() => this.inFlight.delete(flightKey));
      this.inFlight.set(flightKey, flight);
    }
    const value = (await flight) as T;
    // Keyed by path, so a new version replaces the old one. A file that changed while it was read is
    // cached under its old stamp, so the next read sees the change and parses again.
    this.lru.set(path, { stamp, value, bytes: s.size });
    return value;
  }

  stats(): JsonCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.lru.size, bytes: this.lru.calculatedSize };
  }
}

/** Evaluation and tasks reports read by the API (64 MB of files: eight 2,000-class reports). */
export const reportCache = new JsonFileCache(64 * 1024 * 1024);
