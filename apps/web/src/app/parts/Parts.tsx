'use client';
import { useState } from 'react';
import { PARTS_DEFAULT_VALUES as D } from '@rcn/core/defaults';
import { CheckpointPicker, type PickedCheckpoint } from '@/components/CheckpointPicker';
import { ErrorBox, Skeleton } from '@/components/common';
import { Heatmap } from '@/components/Heatmap';
import { num, pct, shortName } from '@/lib/format';
import { errorCode, useGql } from '@/lib/gql';
import { PARTS, SPLIT_CLASSES } from '@/lib/queries';

const EPISODE_CHOICES = [10, 20, 40, 100, 200];

export function Parts() {
  const [ck, setCk] = useState<PickedCheckpoint | null>(null);
  const [split, setSplit] = useState<string>(D.split);
  const [cls, setCls] = useState('');
  const [episodes, setEpisodes] = useState<number>(D.episodes);
  const dataset = ck?.dataset ?? '';
  const classesQ = useGql(SPLIT_CLASSES, { dataset, split, limit: 1000 }, { pause: !dataset });
  const classes = classesQ.data?.dataset?.split?.classes ?? [];
  const chosen = cls && classes.some((c) => c.id === cls) ? cls : (classes[0]?.id ?? '');
  const partsQ = useGql(
    PARTS,
    { checkpoint: ck?.ref ?? '', class: chosen, split, episodes },
    { pause: !ck || !chosen },
  );
  const result =
    partsQ.data?.prototypicalParts &&
    partsQ.data.prototypicalParts.classId === chosen &&
    partsQ.data.prototypicalParts.split === split &&
    partsQ.data.prototypicalParts.episodes === episodes
      ? partsQ.data.prototypicalParts
      : null;
  const notAvailable = errorCode(partsQ.error) === 'NOT_AVAILABLE';
  const className = classes.find((c) => c.id === chosen)?.name ?? chosen;
  return (
    <>
      <div className="panel">
        <div className="form-grid">
          <div style={{ gridColumn: 'span 2' }}>
            <CheckpointPicker value={ck?.ref ?? null} onChange={setCk} />
          </div>
          <label className="field">
            Split
            <select value={split} onChange={(e) => setSplit(e.target.value)}>
              <option>test</option>
              <option>val</option>
              <option>train</option>
            </select>
          </label>
          <label className="field" style={{ gridColumn: 'span 2' }}>
            Class
            <select value={chosen} onChange={(e) => setCls(e.target.value)} disabled={!classes.length}>
              {classes.map((c) => (
                <option key={c.id} value={c.id}>
                  {shortName(c.name)} ({c.id})
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            Episodes
            <select value={episodes} onChange={(e) => setEpisodes(Number(e.target.value))}>
              {EPISODE_CHOICES.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      <section className="panel" aria-labelledby="gallery-h" data-testid="parts">
        <h2 id="gallery-h">Gallery{chosen ? `: ${shortName(className)}` : ''}</h2>
        {!result && partsQ.fetching && ck && chosen ? (
          <>
            <p className="small muted" role="status">
              Computing the parts over {episodes} episodes that contain the class (the first time takes a
              while; the API caches the result)…
            </p>
            <Skeleton height={120} label="Loading parts" />
          </>
        ) : null}
        {notAvailable ? (
          <div className="notice" role="status" data-testid="parts-not-available">
            <strong>Not available.</strong> {partsQ.error?.graphQLErrors[0]?.message}
          </div>
        ) : (
          <ErrorBox error={partsQ.error} />
        )}
        {result ? (
          <>
            <p className="small" data-testid="parts-summary">
              <strong>{shortName(result.className)}</strong> ({result.classId}), {result.dataset}/
              {result.split}: {result.episodes} {result.way}-way {result.shot}-shot episodes containing the
              class, {result.correctDecisions}/{result.queries} of its queries classified correctly. Each
              correct decision credits the support regions of the class with the largest contributions w·r;
              their features are clustered into parts.{' '}
              <span className="muted">
                {result.cached ? 'From the API’s cache.' : `Computed in ${num(result.seconds, 2)} s.`}
              </span>
            </p>
            {!result.parts.length ? (
              <p className="empty">
                No parts: no query of this class was classified correctly in these episodes.
              </p>
            ) : null}
            <div className="parts-list">
              {result.parts.map((part) => (
                <article key={part.index} className="part" data-testid={`part-${part.index}`}>
                  <header className="spread small">
                    <strong>Part {part.index + 1}</strong>
                    <span>
                      decides <strong>{pct(part.frequency, 0)}</strong> of correct decisions ({part.decisions}
                      /{result.correctDecisions}) · mean w·r {num(part.meanContribution)} · {part.members}{' '}
                      regions
                    </span>
                  </header>
                  <div className="part-patches">
                    {part.patches.map((p, i) => (
                      <figure key={i} className="part-patch">
                        <img
                          className="thumb"
                          src={p.patchUrl}
                          alt={`part ${part.index + 1}, patch ${i + 1}`}
                          width={72}
                          height={72}
                        />
                        <Heatmap
                          src={p.imageUrl}
                          alt={`support image ${p.imageId} with the patch outlined`}
                          rows={result.grid.rows}
                          cols={result.grid.cols}
                          size={72}
                          imageSize={result.grid.imageSize}
                          boxes={[p.box]}
                        />
                        <figcaption className="small mono">share {pct(p.share)}</figcaption>
                      </figure>
                    ))}
                  </div>
                </article>
              ))}
            </div>
            <details style={{ marginTop: 12 }}>
              <summary>Gallery as one image (PNG, drawn by the API)</summary>
              <img
                src={result.galleryUrl}
                alt={`prototypical parts gallery of ${result.className}`}
                data-testid="parts-gallery"
                style={{ maxWidth: '100%', height: 'auto', imageRendering: 'pixelated' }}
              />
            </details>
          </>
        ) : null}
        {!ck ? <p className="empty">Choose a checkpoint.</p> : null}
      </section>
    </>
  );
}
