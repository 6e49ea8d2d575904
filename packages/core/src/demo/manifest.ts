/**
 * `demo.json`: what a static demo folder holds beside its page (written by `exportDemo`, read by the
 * page in the browser): the model folder, example episodes of its dataset and the dataset's terms. Every
 * URL is relative to the page.
 */

/** An episode of a dataset as image URLs, classes in order (supports per class, queries with their class). */
export interface DemoEpisode {
  title: string;
  classes: { name: string; support: { url: string; name: string }[] }[];
  queries: { url: string; name: string; label: number }[];
}

export interface DemoManifest {
  format: 'rcn-demo';
  version: 1;
  title: string;
  /** The checkpoint folder (metadata.json, model.json, weights). */
  model: { label: string; url: string };
  /** Where the examples come from and under which terms; null without examples. */
  dataset: {
    name: string;
    /** Who made the data and under which terms, shown with the examples. */
    credit: string;
    /** The dataset's licence file in the folder, where it has one. */
    licenceUrl: string | null;
  } | null;
  /** Images stored as the dataset gives them, at the model's size (the page takes them unchanged). */
  episodes: DemoEpisode[];
  createdAt: string;
}

export function isDemoManifest(v: unknown): v is DemoManifest {
  const m = v as Partial<DemoManifest> | null;
  return Boolean(
    m &&
    m.format === 'rcn-demo' &&
    m.version === 1 &&
    typeof m.model?.url === 'string' &&
    Array.isArray(m.episodes),
  );
}
