'use client';
/**
 * The RAMs of one query: for every class, each support image with a map over its region grid of the
 * contribution w_k * r_k (or r_k, or w_k), drawn on the API's region geometry. Pointing at a support region
 * (mouse or arrow keys) asks the API for that pair's `ram`, colours the query by that region's similarity
 * map (a row of the pair's support-region x query-region similarity matrix) and outlines the best match.
 */
import { useMemo, useState } from 'react';
import { ErrorBox, ViridisLegend } from '@/components/common';
import { Heatmap } from '@/components/Heatmap';
import { SERIES } from '@/lib/colormap';
import { num, pct, shortName } from '@/lib/format';
import { useGql } from '@/lib/gql';
import { RAM } from '@/lib/queries';
import { TASK_RAM, type TasksFileRef } from '@/lib/tasks';
import type {
  EpisodeInput,
  EpisodeFieldsFragment as Episode,
  PredictionFieldsFragment as Prediction,
  SupportComparisonFieldsFragment as SupportComparison,
} from '@/gql/graphql';

type Mode = 'contribution' | 'similarity' | 'weight';
const MODES: { id: Mode; label: string; legend: string }[] = [
  { id: 'contribution', label: 'Contribution w·r', legend: 'w_k·r_k' },
  { id: 'similarity', label: 'Similarity r', legend: 'r_k' },
  { id: 'weight', label: 'Weight w', legend: 'w_k' },
];

function valuesOf(s: SupportComparison, mode: Mode): number[] {
  if (mode === 'similarity') return s.regionScores;
  if (mode === 'weight') return s.regionWeights;
  return s.contributions;
}

export function RamPanel({
  checkpoint,
  episode,
  spec,
  prediction,
  query,
  task,
}: {
  checkpoint: string;
  episode: Episode;
  spec: EpisodeInput;
  prediction: Prediction;
  query: number;
  /** An episode of a tasks file: its RAMs come from `taskRam`. */
  task?: { file: TasksFileRef; episode: string } | null;
}) {
  const q = prediction.queries[query];
  const qImage = episode.queries[query];
  const [mode, setMode] = useState<Mode>('contribution');
  const geometry = prediction.grid;
  const rows = geometry?.rows ?? 0;
  const cols = geometry?.cols ?? 0;
  // Default focus: the first support of the predicted class.
  const predictedSupport = episode.support.find((s) => s.label === q.predictedLabel)?.index ?? 0;
  const [focus, setFocus] = useState<{ support: number; region: number | null }>({
    support: predictedSupport,
    region: null,
  });
  const [focusKey, setFocusKey] = useState(`${checkpoint}|${episode.id}|${query}`);
  const key = `${checkpoint}|${episode.id}|${query}`;
  if (key !== focusKey) {
    setFocusKey(key);
    setFocus({ support: predictedSupport, region: null });
  }

  const pairVars = { checkpoint, query, support: focus.support, top: rows * cols };
  const sampledQ = useGql(RAM, { ...pairVars, episode: spec }, { pause: Boolean(task) });
  const taskQ = useGql(
    TASK_RAM,
    { ...pairVars, file: task?.file ?? { path: '' }, episode: task?.episode ?? '' },
    { pause: !task },
  );
  const ramQ = task ? taskQ : sampledQ;
  const fetched = task ? taskQ.data?.taskRam : sampledQ.data?.ram;
  const ram = fetched && fetched.support === focus.support && fetched.query === query ? fetched : null;
  const match =
    ram && focus.region != null
      ? (ram.bestMatches.find((m) => m.supportRegion === focus.region) ?? null)
      : null;
  // The pointed support region's similarity to every query region (its similarity map over the query).
  const simRow = ram && focus.region != null ? (ram.similarity[focus.region] ?? null) : null;
  const simLo = simRow ? Math.min(...simRow) : 0;
  const simHi = simRow ? Math.max(...simRow) : 1;

  const maps = useMemo(() => q.supports.map((s) => valuesOf(s, mode)), [q, mode]);
  const flat = maps.flat();
  const lo = Math.min(...flat);
  const hi = Math.max(...flat);
  const order = episode.classes.map((c) => c.label).sort((a, b) => q.probabilities[b] - q.probabilities[a]);
  const name = (label: number) => episode.classes[label]?.name ?? String(label);
  const regionName = (k: number) => `row ${Math.floor(k / cols) + 1}, column ${(k % cols) + 1}`;

  return (
    <section className="panel" aria-labelledby="ram-h" data-testid="ram-panel">
      <div className="spread">
        <h2 id="ram-h">
          Why query {query + 1} is “{shortName(name(q.predictedLabel))}”
        </h2>
        <div className="segmented" role="group" aria-label="Map shows">
          {MODES.map((m) => (
            <button key={m.id} type="button" aria-pressed={mode === m.id} onClick={() => setMode(m.id)}>
              {m.label}
            </button>
          ))}
        </div>
      </div>
      <div className="ram-layout">
        <div>
          <Heatmap
            src={qImage.url}
            alt={
              simRow
                ? `query ${query + 1}, coloured by the similarity of the pointed support region`
                : `query ${query + 1}, true class ${name(q.trueLabel)}`
            }
            rows={rows}
            cols={cols}
            values={simRow ?? undefined}
            min={simLo}
            max={simHi}
            size={220}
            boxes={match ? [match.queryBox] : undefined}
            imageSize={ram?.imageSize ?? 32}
            geometry={geometry}
            testId="ram-query"
          />
          {simRow ? (
            <div
              className="row small compact-legend"
              style={{ margin: '4px 0' }}
              data-testid="similarity-legend"
              title="cosine similarity of the pointed support region to each query region"
            >
              <ViridisLegend min={simLo} max={simHi} label="similarity" />
            </div>
          ) : null}
          <p style={{ margin: '6px 0' }}>
            <span className={`mark ${q.correct ? 'ok' : 'bad'}`}>{q.correct ? '✓ correct' : '✗ wrong'}</span>{' '}
            · true: <strong>{shortName(name(q.trueLabel))}</strong>
          </p>
          <h3>Class probabilities</h3>
          <ul style={{ listStyle: 'none', padding: 0, margin: 0 }} data-testid="probabilities">
            {order.map((label) => (
              <li key={label} style={{ marginBottom: 4 }}>
                <div className="spread small">
                  <span title={name(label)}>
                    {label === q.predictedLabel ? (
                      <strong>{shortName(name(label))}</strong>
                    ) : (
                      shortName(name(label))
                    )}
                    {label === q.trueLabel ? ' (true)' : ''}
                  </span>
                  <span className="mono">{pct(q.probabilities[label])}</span>
                </div>
                <div className="bar">
                  <span
                    style={{
                      width: `${100 * q.probabilities[label]}%`,
                      background: label === q.trueLabel ? 'var(--ok)' : undefined,
                    }}
                  />
                </div>
              </li>
            ))}
          </ul>
          <div
            className="panel"
            style={{ marginTop: 12, padding: 10 }}
            aria-live="polite"
            data-testid="region-inspector"
          >
            <h3>Region inspector</h3>
            {focus.region == null ? (
              <p className="small muted" style={{ margin: 0 }}>
                Point at a support region (or focus a support map and use the arrow keys) to see its
                similarity map over the query (the query is coloured by the cosine similarity of that support
                region to each query region) and its best match, outlined in pink.
              </p>
            ) : (
              <>
                <p className="small" style={{ margin: '0 0 6px' }}>
                  Support {focus.support + 1} ({shortName(name(episode.support[focus.support].label))}),
                  region {regionName(focus.region)}
                  {match ? (
                    <>
                      {' '}
                      ↔ query region {regionName(match.queryRegion)}: similarity r ={' '}
                      <strong>{num(match.similarity)}</strong>, weight w ={' '}
                      <strong>{num(match.weight)}</strong>, contribution w·r ={' '}
                      <strong>{num(match.contribution)}</strong>
                    </>
                  ) : ramQ.fetching ? (
                    ' · loading…'
                  ) : null}
                </p>
                {ram && simRow ? (
                  <div className="row" style={{ alignItems: 'flex-start' }}>
                    <div>
                      <Heatmap
                        src={episode.support[focus.support].url}
                        alt="the pointed support region"
                        rows={rows}
                        cols={cols}
                        values={ram.regionScores}
                        size={96}
                        boxes={[ram.grid.regions[focus.region]]}
                        geometry={ram.grid}
                      />
                      <div className="small muted">support: r_k, region outlined</div>
                    </div>
                    <div>
                      <Heatmap
                        src={qImage.url}
                        alt="similarity map of the pointed support region over the query"
                        rows={rows}
                        cols={cols}
                        values={simRow}
                        size={96}
                        boxes={match ? [match.queryBox] : undefined}
                        geometry={ram.grid}
                        testId="similarity-map"
                      />
                      <div className="small muted">
                        query: similarity to it ({num(simLo)}…{num(simHi)})
                      </div>
                    </div>
                    <div>
                      <Heatmap
                        src={qImage.url}
                        alt="query-side contributions"
                        rows={rows}
                        cols={cols}
                        values={ram.queryContributions}
                        size={96}
                        geometry={ram.grid}
                      />
                      <div className="small muted">query: w·r credited where matched</div>
                    </div>
                  </div>
                ) : null}
              </>
            )}
            <ErrorBox error={ramQ.error} title="RAM" />
            {ram ? (
              <p className="small muted" style={{ margin: '6px 0 0' }} data-testid="ram-summary">
                Pair score Σ w·r = {num(ram.score)} · p(
                {shortName(name(episode.support[focus.support].label))}) = {pct(ram.probability)}
                {focus.region != null && ram.share[focus.region] != null
                  ? ` · this region carries ${pct(ram.share[focus.region])} of the class score`
                  : ''}{' '}
                ·{' '}
                <a href={ram.urls.panel} target="_blank" rel="noreferrer">
                  pair panel (PNG)
                </a>
              </p>
            ) : null}
          </div>
        </div>
        <div>
          <div className="row" style={{ marginBottom: 8 }}>
            <ViridisLegend min={lo} max={hi} label={MODES.find((m) => m.id === mode)!.legend} />
            <span className="small muted">one scale across all supports of this query</span>
          </div>
          <div className="ram-classes">
            {order.map((label, rank) => (
              <div
                key={label}
                className={`ram-class${label === q.predictedLabel ? ' predicted' : ''}${label === q.trueLabel ? ' truth' : ''}`}
                data-testid={`ram-class-${label}`}
              >
                <div className="spread small" style={{ marginBottom: 4 }}>
                  <strong title={name(label)}>
                    {rank + 1}. {shortName(name(label))}
                    {label === q.predictedLabel ? ' · predicted' : ''}
                    {label === q.trueLabel ? ' · true class' : ''}
                  </strong>
                  <span className="mono">p = {pct(q.probabilities[label])}</span>
                </div>
                <div className="ram-supports">
                  {q.supports
                    .filter((s) => s.label === label)
                    .map((s) => (
                      <div key={s.index}>
                        <Heatmap
                          src={episode.support[s.index].url}
                          alt={`RAM of support ${s.index + 1} (${name(label)})`}
                          rows={rows}
                          cols={cols}
                          values={maps[s.index]}
                          min={lo}
                          max={hi}
                          size={112}
                          geometry={geometry}
                          active={focus.support === s.index ? focus.region : null}
                          onActive={(region) =>
                            setFocus(
                              region == null
                                ? { support: focus.support, region: null }
                                : { support: s.index, region },
                            )
                          }
                          describe={(k) => `region ${regionName(k)}: ${num(maps[s.index][k])}`}
                          testId={`ram-support-${s.index}`}
                        />
                        <div className="small mono" style={{ color: SERIES[0] }}>
                          Σw·r = {num(s.score)}
                        </div>
                      </div>
                    ))}
                </div>
              </div>
            ))}
          </div>
        </div>
      </div>
    </section>
  );
}
