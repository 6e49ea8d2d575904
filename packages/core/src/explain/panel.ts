/**
 * Explanation images: one (query, support) pair's maps, one support region's match on the query, and the
 * episode panel (every query against every class). Colour scales are shared where values are compared.
 */
import { rangeOf, type ColorRange } from './colormap.js';
import { regionTile } from '../model/index.js';
import { classRam, pairRam, regionSimilarityMap } from './ram.js';
import { Canvas, heatOverlay, resizeNearest } from './render.js';
import type { EpisodeExplanation } from './episode.js';

/** Tile side: images are magnified by an integer factor to at least `min` pixels. */
function tileSize(imageSize: number, min: number): number {
  return imageSize * Math.max(1, Math.ceil(min / imageSize));
}

const fmt = (v: number, d = 2) => v.toFixed(d);

/**
 * PNG of a (query, support) pair: the query; over the support, w_k r_k, r_k and w_k; over the query, the
 * contributions credited to the regions that matched. Each map has its own legend.
 */
export async function renderPairPng(
  x: EpisodeExplanation,
  query: number,
  support: number,
  opts: { tile?: number } = {},
): Promise<Buffer> {
  const p = pairRam(x.ram, query, support);
  const size = tileSize(x.geometry.imageSize, opts.tile ?? 128);
  const gap = 24;
  const top = 80;
  const maps: { title: string; onQuery: boolean; values: number[]; range: ColorRange; caption: string }[] = [
    {
      title: 'support: w·r',
      onQuery: false,
      values: p.contributions,
      range: rangeOf(p.contributions),
      caption: 'contribution w·r',
    },
    // r is a cosine, but its spread within an image is narrow: the legend gives the (data) range.
    {
      title: 'support: r',
      onQuery: false,
      values: p.scores,
      range: rangeOf(p.scores, false),
      caption: 'best cosine r',
    },
    {
      title: 'support: w',
      onQuery: false,
      values: p.weights,
      range: rangeOf(p.weights),
      caption: 'region weight w',
    },
    {
      title: 'query: credited w·r',
      onQuery: true,
      values: p.queryContributions,
      range: rangeOf(p.queryContributions),
      caption: 'w·r at best matches',
    },
  ];
  const width = gap + (maps.length + 1) * (size + gap);
  const c = new Canvas(width, top + size + 60);
  const label = x.ram.labels ? x.ram.labels[query] : -1;
  const cls = (i: number) => `class ${i}: ${x.episode.classes[i]?.name ?? i}`;
  c.text(gap, 18, `query ${query} (${label >= 0 ? cls(label) : 'class unknown'})`, { size: 13, bold: true });
  c.text(gap, 36, `vs support ${support} (${cls(p.classIndex)})`, { size: 13, bold: true });
  c.text(
    gap,
    54,
    `support score Σ w·r = ${fmt(p.supportScore, 3)}, p(class ${p.classIndex}) = ${fmt(x.ram.probs[query * x.ram.way + p.classIndex], 3)}, predicted class ${x.predictions[query]}`,
    { size: 12 },
  );
  c.text(gap + size / 2, top - 6, 'query', { size: 12, anchor: 'middle' });
  c.image(gap, top, resizeNearest(x.queryImages[query], size));
  maps.forEach((m, i) => {
    const x0 = gap + (i + 1) * (size + gap);
    const img = m.onQuery ? x.queryImages[query] : x.supportImages[support];
    c.text(x0 + size / 2, top - 6, m.title, { size: 12, anchor: 'middle' });
    c.image(x0, top, heatOverlay(img, m.values, x.geometry, m.range, { size }));
    c.legend(x0, top + size + 22, size, m.range, m.caption);
  });
  return c.png();
}

/**
 * PNG of one support region k: its tile outlined on the support, and its cosine similarity to every
 * query region over the query, the best match outlined.
 */
export async function renderRegionMatchPng(
  x: EpisodeExplanation,
  query: number,
  support: number,
  k: number,
  opts: { tile?: number } = {},
): Promise<Buffer> {
  const p = pairRam(x.ram, query, support);
  const sim = regionSimilarityMap(x.ram, query, support, k);
  const size = tileSize(x.geometry.imageSize, opts.tile ?? 160);
  const gap = 16;
  const top = 62;
  const c = new Canvas(gap + 2 * (size + gap), top + size + 60);
  c.text(gap, 18, `query ${query}, support ${support}, support region ${k}`, { size: 13, bold: true });
  c.text(
    gap,
    36,
    `r = ${fmt(p.scores[k], 3)}, w = ${fmt(p.weights[k], 3)}, best match: query region ${p.bestMatch[k]}`,
    { size: 12 },
  );
  const support0 = heatOverlay(
    x.supportImages[support],
    p.contributions,
    x.geometry,
    rangeOf(p.contributions),
    {
      size,
      alpha: 0.35,
      boxes: [regionTile(x.geometry, k)],
    },
  );
  c.text(gap + size / 2, top - 6, `support, region ${k} outlined`, { size: 12, anchor: 'middle' });
  c.image(gap, top, support0);
  const range = { min: 0, max: 1 };
  c.text(gap + size + gap + size / 2, top - 6, `query: cosine to it`, { size: 12, anchor: 'middle' });
  c.image(
    gap + size + gap,
    top,
    heatOverlay(x.queryImages[query], sim, x.geometry, range, {
      size,
      boxes: [regionTile(x.geometry, p.bestMatch[k])],
    }),
  );
  c.legend(gap + size + gap, top + size + 22, size, range, 'cosine similarity');
  return c.png();
}

/**
 * The episode panel: a row per query (image, true class, prediction and its probability), then for each
 * class its shots' support-side RAM (w·r) and the query-side map; one colour scale for the whole panel so
 * that classes can be compared. The predicted class is framed (green if right, red if wrong).
 */
export async function renderEpisodePanel(
  x: EpisodeExplanation,
  opts: { queries?: number[]; tile?: number } = {},
): Promise<Buffer> {
  const { way, shot } = x.ram;
  const queries = opts.queries ?? Array.from({ length: x.ram.queries }, (_v, i) => i);
  const size = tileSize(x.geometry.imageSize, opts.tile ?? 72);
  const gap = 6;
  const groupGap = 18;
  const rowH = size + 34;
  const left = 12 + size + groupGap;
  const group = (shot + 1) * (size + gap) - gap;
  const header = 78;
  const width = left + way * (group + groupGap);
  const all = queries.flatMap((q) =>
    Array.from({ length: way }, (_v, c) => {
      const r = classRam(x.ram, q, c);
      return [...r.shots.flatMap((s) => s.contributions), ...r.queryContributions];
    }).flat(),
  );
  const range = rangeOf(all);
  const c = new Canvas(width, header + queries.length * rowH + 12);
  const correct = queries.filter((q) => x.ram.labels && x.predictions[q] === x.ram.labels[q]).length;
  const title = x.ram.labels
    ? `${x.episode.id}: ${correct}/${queries.length} queries correct`
    : `${x.episode.id}: ${queries.length} queries, classes unknown`;
  c.text(12, 20, title, { size: 14, bold: true });
  c.text(
    12,
    38,
    `each class: its ${shot === 1 ? 'support' : `${shot} supports`} (w·r per region) then the query (w·r credited to its best-matching regions)`,
    {
      size: 11,
    },
  );
  c.legend(width - 12 - Math.min(220, width / 3), 30, Math.min(220, width / 3), range, 'contribution w·r');
  for (let ci = 0; ci < way; ci++) {
    const x0 = left + ci * (group + groupGap);
    // About 6 px per character at 10 px: cut the class name to its column.
    const name = x.episode.classes[ci]?.name ?? String(ci);
    const fit = Math.max(4, Math.floor(group / 6));
    c.text(x0, header - 22, `class ${ci}`, { size: 11, bold: true });
    c.text(x0, header - 8, name.length > fit ? `${name.slice(0, fit - 1)}…` : name, { size: 10 });
  }
  queries.forEach((q, row) => {
    const y = header + row * rowH;
    const label = x.ram.labels ? x.ram.labels[q] : -1;
    const pred = x.predictions[q];
    c.image(12, y, resizeNearest(x.queryImages[q], size));
    // Unknown true class (e.g. `predict` on unlabelled files): no verdict, neutral colours.
    const verdict = label < 0 ? '#1f2933' : pred === label ? '#1a7f37' : '#c62828';
    c.text(12, y + size + 13, label < 0 ? `q${q}` : `q${q} true ${label}`, { size: 10 });
    c.text(12, y + size + 25, `pred ${pred} p=${fmt(x.ram.probs[q * way + pred])}`, {
      size: 10,
      color: verdict,
    });
    for (let ci = 0; ci < way; ci++) {
      const r = classRam(x.ram, q, ci);
      const x0 = left + ci * (group + groupGap);
      r.shots.forEach((s, si) =>
        c.image(
          x0 + si * (size + gap),
          y,
          heatOverlay(x.supportImages[s.support], s.contributions, x.geometry, range, { size }),
        ),
      );
      c.image(
        x0 + shot * (size + gap),
        y,
        heatOverlay(x.queryImages[q], r.queryContributions, x.geometry, range, { size }),
      );
      c.text(x0, y + size + 13, `score ${fmt(r.classScore)} p=${fmt(r.probability)}`, { size: 10 });
      if (ci === pred) c.rect(x0 - 3, y - 3, group + 6, size + 6, verdict, 'none', 3);
    }
  });
  return c.png();
}
