/** Decodes every image of a dataset into its cache ahead of training, a bounded number at a time. */
import type { FewShotDataset } from './types.js';

export interface PreloadOptions {
  /** Decodes in flight at once (sharp decodes on libuv's thread pool). Default 16. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export async function preloadDataset(
  ds: FewShotDataset,
  opts: PreloadOptions = {},
): Promise<{ images: number; ms: number }> {
  const t0 = performance.now();
  const ids = ds.classes.flatMap((c) => c.imageIds);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      await ds.getImage(id);
      done++;
      if (opts.onProgress && done % 1000 === 0) opts.onProgress(done, ids.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 16) }, worker));
  opts.onProgress?.(done, ids.length);
  return { images: ids.length, ms: performance.now() - t0 };
}
