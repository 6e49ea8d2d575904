'use client';
import { useState } from 'react';
import { CheckpointPicker, type PickedCheckpoint } from '@/components/CheckpointPicker';
import { ErrorBox, Skeleton } from '@/components/common';
import { Heatmap } from '@/components/Heatmap';
import { num, shortName } from '@/lib/format';
import { errorCode, useGql } from '@/lib/gql';
import { PARTS, SPLIT_CLASSES } from '@/lib/queries';
import type { DatasetClass, PrototypicalPart } from '@/lib/types';

export function Parts() {
  const [ck, setCk] = useState<PickedCheckpoint | null>(null);
  const [split, setSplit] = useState('test');
  const [cls, setCls] = useState('');
  const dataset = ck?.run.dataset ?? '';
  const classesQ = useGql<{ dataset: { split: { classes: DatasetClass[] } | null } | null }>(
    SPLIT_CLASSES,
    { dataset, split, limit: 1000 },
    { pause: !dataset },
  );
  const classes = classesQ.data?.dataset?.split?.classes ?? [];
  const chosen = cls && classes.some((c) => c.id === cls) ? cls : (classes[0]?.id ?? '');
  const partsQ = useGql<{ prototypicalParts: PrototypicalPart[] }>(
    PARTS,
    { checkpoint: ck?.ref ?? '', class: chosen },
    { pause: !ck || !chosen },
  );
  const grid = Number(ck?.checkpoint.model?.regionGrid ?? 5);
  const size = Number(ck?.checkpoint.model?.imageSize ?? 32);
  const notAvailable = errorCode(partsQ.error) === 'NOT_AVAILABLE';
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
        </div>
      </div>
      <section className="panel" aria-labelledby="gallery-h" data-testid="parts">
        <h2 id="gallery-h">
          Gallery{chosen ? `: ${shortName(classes.find((c) => c.id === chosen)?.name ?? chosen)}` : ''}
        </h2>
        {partsQ.waiting && ck && chosen ? <Skeleton height={120} label="Loading parts" /> : null}
        {notAvailable ? (
          <div className="notice" role="status" data-testid="parts-not-available">
            <strong>Not available.</strong> The API cannot compute prototypical parts yet:{' '}
            {partsQ.error?.graphQLErrors[0]?.message}. The episode explorer shows per-query region maps in the
            meantime.
          </div>
        ) : (
          <ErrorBox error={partsQ.error} />
        )}
        {partsQ.data && !partsQ.data.prototypicalParts.length ? (
          <p className="empty">No parts for this class.</p>
        ) : null}
        {partsQ.data?.prototypicalParts.length ? (
          <div className="row">
            {partsQ.data.prototypicalParts.map((p, i) => {
              const r = Math.floor(p.region / grid);
              const c = p.region % grid;
              const cell = size / grid;
              return (
                <figure key={i} style={{ margin: 0 }}>
                  <Heatmap
                    src={p.imageUrl}
                    alt={`part ${i + 1}`}
                    rows={grid}
                    cols={grid}
                    size={128}
                    imageSize={size}
                    boxes={[{ x: c * cell, y: r * cell, width: cell, height: cell }]}
                  />
                  <figcaption className="small mono">score {num(p.score)}</figcaption>
                </figure>
              );
            })}
          </div>
        ) : null}
        {!ck ? <p className="empty">Choose a checkpoint.</p> : null}
      </section>
    </>
  );
}
