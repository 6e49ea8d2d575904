'use client';
import { useState, type ChangeEvent } from 'react';
import { useClient, useMutation } from 'urql';
import { CheckpointPicker, type PickedCheckpoint } from '@/components/CheckpointPicker';
import { ErrorBox, ViridisLegend } from '@/components/common';
import { Heatmap } from '@/components/Heatmap';
import { pct, shortName } from '@/lib/format';
import { CLASS_IMAGES, PREDICT } from '@/lib/queries';

interface Img {
  name: string;
  dataUrl: string;
}
interface SupportClass {
  label: string;
  images: Img[];
}
interface QueryImg extends Img {
  label: string;
}

const MAX_SIDE = 96;

/** Reads an image file or blob and re-encodes it as a PNG data URL no larger than MAX_SIDE. */
async function toDataUrl(blob: Blob): Promise<string> {
  const bitmap = await createImageBitmap(blob);
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return canvas.toDataURL('image/png');
}

async function filesToImgs(e: ChangeEvent<HTMLInputElement>): Promise<Img[]> {
  const files = [...(e.target.files ?? [])];
  e.target.value = '';
  return Promise.all(files.map(async (f) => ({ name: f.name, dataUrl: await toDataUrl(f) })));
}

function Thumb({ img, onRemove }: { img: Img; onRemove?: () => void }) {
  return (
    <span style={{ position: 'relative', display: 'inline-block' }}>
      {/* Data URLs of the user's own files: next/image has nothing to optimise here. */}
      <img
        className="thumb"
        src={img.dataUrl}
        alt={img.name}
        width={64}
        height={64}
        style={{ objectFit: 'cover' }}
      />
      {onRemove ? (
        <button
          type="button"
          onClick={onRemove}
          aria-label={`Remove ${img.name}`}
          style={{
            position: 'absolute',
            top: -6,
            right: -6,
            padding: '0 6px',
            borderRadius: 999,
            fontSize: 12,
          }}
        >
          ×
        </button>
      ) : null}
    </span>
  );
}

export function TryImages() {
  const client = useClient();
  const [ck, setCk] = useState<PickedCheckpoint | null>(null);
  const [classes, setClasses] = useState<SupportClass[]>([
    { label: 'class A', images: [] },
    { label: 'class B', images: [] },
  ]);
  const [queries, setQueries] = useState<QueryImg[]>([]);
  const [sampleError, setSampleError] = useState<string | null>(null);
  const [sampling, setSampling] = useState(false);
  const [selected, setSelected] = useState(0);
  const [state, predict] = useMutation(PREDICT);
  const result = state.data?.predict;

  const shots = classes.map((c) => c.images.length);
  const uneven = new Set(shots).size > 1;
  const labels = classes.map((c) => c.label.trim());
  const duplicate = new Set(labels).size !== labels.length || labels.some((l) => !l);
  const ready =
    ck && classes.length >= 2 && shots.every((s) => s > 0) && !uneven && !duplicate && queries.length > 0;

  const sample = async () => {
    if (!ck) return;
    setSampling(true);
    setSampleError(null);
    try {
      const dataset = ck.dataset;
      const offset = Math.floor(Math.random() * 30);
      const r = await client
        .query<{
          dataset: {
            split: { classes: { id: string; name: string; images: { id: string; url: string }[] }[] } | null;
          } | null;
        }>(CLASS_IMAGES, { dataset, split: 'test', offset, limit: 3 })
        .toPromise();
      if (r.error) throw r.error;
      const got = r.data?.dataset?.split?.classes ?? [];
      if (got.length < 2) throw new Error(`${dataset}/test has too few classes`);
      const load = async (url: string, name: string): Promise<Img> => ({
        name,
        dataUrl: await toDataUrl(await (await fetch(url)).blob()),
      });
      const cls = await Promise.all(
        got.map(async (c) => ({
          label: shortName(c.name),
          images: [await load(c.images[0].url, c.images[0].id)],
        })),
      );
      const qs = (
        await Promise.all(
          got.map((c) =>
            Promise.all(
              c.images
                .slice(1, 3)
                .map(async (im) => ({ ...(await load(im.url, im.id)), label: shortName(c.name) })),
            ),
          ),
        )
      ).flat();
      setClasses(cls);
      setQueries(qs);
    } catch (e) {
      setSampleError((e as Error).message);
    } finally {
      setSampling(false);
    }
  };

  const run = async () => {
    if (!ck) return;
    setSelected(0);
    await predict({
      checkpoint: ck.ref,
      supports: classes.flatMap((c) => c.images.map((im) => ({ label: c.label.trim(), data: im.dataUrl }))),
      queries: queries.map((q) => ({ data: q.dataUrl, ...(q.label ? { label: q.label } : {}) })),
    });
  };

  const supportsInOrder = classes.flatMap((c) => c.images);
  const rq = result?.queries[selected];
  const R = rq?.supports[0]?.regionScores.length ?? 0;
  // The API reports the grid and where its regions lie (receptive-field geometry).
  const rows = result?.grid?.rows ?? (Math.round(Math.sqrt(R)) || 1);
  const cols = result?.grid?.cols ?? (Math.round(Math.sqrt(R)) || 1);
  const maps = rq?.supports.map((s) => s.contributions) ?? [];
  const lo = maps.length ? Math.min(...maps.flat()) : 0;
  const hi = maps.length ? Math.max(...maps.flat()) : 1;

  return (
    <>
      <div className="panel">
        <div className="row" style={{ alignItems: 'flex-end' }}>
          <div style={{ minWidth: 280, flex: 1 }}>
            <CheckpointPicker value={ck?.ref ?? null} onChange={setCk} />
          </div>
          <button type="button" onClick={sample} disabled={!ck || sampling}>
            {sampling ? 'Loading…' : 'Fill with sample images from the dataset'}
          </button>
        </div>
        <ErrorBox error={sampleError} title="Samples" />
      </div>
      <div className="grid cols-2">
        <section className="panel" aria-labelledby="sup-h">
          <h2 id="sup-h">Support images (labelled)</h2>
          {classes.map((c, ci) => (
            <fieldset key={ci} className="class-card" style={{ marginBottom: 8 }}>
              <legend className="sr-only">Class {ci + 1}</legend>
              <div className="row">
                <label className="field">
                  Class name
                  <input
                    type="text"
                    value={c.label}
                    onChange={(e) =>
                      setClasses(classes.map((x, i) => (i === ci ? { ...x, label: e.target.value } : x)))
                    }
                  />
                </label>
                <label className="field">
                  Add images
                  <input
                    type="file"
                    accept="image/png,image/jpeg"
                    multiple
                    data-testid={`support-files-${ci}`}
                    onChange={async (e) => {
                      const imgs = await filesToImgs(e);
                      setClasses((cs) =>
                        cs.map((x, i) => (i === ci ? { ...x, images: [...x.images, ...imgs] } : x)),
                      );
                    }}
                  />
                </label>
                {classes.length > 2 ? (
                  <button
                    type="button"
                    className="danger"
                    onClick={() => setClasses(classes.filter((_x, i) => i !== ci))}
                  >
                    Remove class
                  </button>
                ) : null}
              </div>
              <div className="row" style={{ marginTop: 6 }}>
                {c.images.map((im, ii) => (
                  <Thumb
                    key={ii}
                    img={im}
                    onRemove={() =>
                      setClasses(
                        classes.map((x, i) =>
                          i === ci ? { ...x, images: x.images.filter((_y, j) => j !== ii) } : x,
                        ),
                      )
                    }
                  />
                ))}
                {!c.images.length ? <span className="small muted">no images yet</span> : null}
              </div>
            </fieldset>
          ))}
          <button
            type="button"
            onClick={() =>
              setClasses([
                ...classes,
                { label: `class ${String.fromCharCode(65 + classes.length)}`, images: [] },
              ])
            }
          >
            Add a class
          </button>
          {uneven ? (
            <p className="notice">
              Every class needs the same number of support images (the shot): now {shots.join(', ')}.
            </p>
          ) : null}
          {duplicate ? <p className="notice">Class names must be distinct and not empty.</p> : null}
        </section>
        <section className="panel" aria-labelledby="q-h">
          <h2 id="q-h">Query images</h2>
          <label className="field">
            Add query images
            <input
              type="file"
              accept="image/png,image/jpeg"
              multiple
              data-testid="query-files"
              onChange={async (e) => {
                const imgs = await filesToImgs(e);
                setQueries((qs) => [...qs, ...imgs.map((im) => ({ ...im, label: '' }))]);
              }}
            />
          </label>
          <div className="row" style={{ marginTop: 8 }}>
            {queries.map((q, qi) => (
              <div key={qi} style={{ display: 'flex', flexDirection: 'column', gap: 4 }}>
                <Thumb img={q} onRemove={() => setQueries(queries.filter((_x, i) => i !== qi))} />
                <select
                  aria-label={`True class of ${q.name} (optional)`}
                  value={q.label}
                  onChange={(e) =>
                    setQueries(queries.map((x, i) => (i === qi ? { ...x, label: e.target.value } : x)))
                  }
                  style={{ maxWidth: 110, fontSize: 12 }}
                >
                  <option value="">(unknown)</option>
                  {labels.filter(Boolean).map((l) => (
                    <option key={l}>{l}</option>
                  ))}
                </select>
              </div>
            ))}
            {!queries.length ? <span className="small muted">no queries yet</span> : null}
          </div>
          <div className="row" style={{ marginTop: 12 }}>
            <button type="button" className="primary" disabled={!ready || state.fetching} onClick={run}>
              {state.fetching ? 'Classifying…' : 'Classify'}
            </button>
          </div>
          <ErrorBox error={state.error} title="Prediction" />
        </section>
      </div>
      {result ? (
        <section className="panel" aria-labelledby="res-h" data-testid="upload-results">
          <h2 id="res-h">
            Predictions ({result.way}-way {result.shot}-shot)
          </h2>
          <div className="query-grid">
            {result.queries.map((q) => (
              <button
                key={q.index}
                type="button"
                className="query-tile"
                aria-pressed={selected === q.index}
                onClick={() => setSelected(q.index)}
              >
                <img
                  className="thumb"
                  src={queries[q.index]?.dataUrl}
                  alt=""
                  width={96}
                  height={96}
                  style={{ objectFit: 'cover' }}
                />
                <span className="pred-name">
                  {q.correct != null ? (
                    <span
                      className={`mark ${q.correct ? 'ok' : 'bad'}`}
                      aria-label={q.correct ? 'correct' : 'wrong'}
                    >
                      {q.correct ? '✓' : '✗'}{' '}
                    </span>
                  ) : null}
                  {q.predictedClass}
                </span>
                <span className="muted">{pct(q.probabilities[q.predictedLabel], 0)}</span>
              </button>
            ))}
          </div>
          {rq ? (
            <div style={{ marginTop: 14 }}>
              <div className="spread">
                <h3>RAMs of query {selected + 1}</h3>
                <ViridisLegend min={lo} max={hi} label="w_k·r_k" />
              </div>
              <div className="ram-classes">
                {result.classes.map((name, label) => (
                  <div key={name} className={`ram-class${label === rq.predictedLabel ? ' predicted' : ''}`}>
                    <div className="spread small">
                      <strong>
                        {name}
                        {label === rq.predictedLabel ? ' · predicted' : ''}
                      </strong>
                      <span className="mono">p = {pct(rq.probabilities[label])}</span>
                    </div>
                    <div className="ram-supports">
                      {rq.supports
                        .filter((s) => s.label === label)
                        .map((s) => (
                          <Heatmap
                            key={s.index}
                            src={supportsInOrder[s.index]?.dataUrl ?? ''}
                            alt={`RAM of support ${s.index + 1} (${name})`}
                            rows={rows}
                            cols={cols}
                            values={maps[s.index]}
                            min={lo}
                            max={hi}
                            size={112}
                            geometry={result?.grid}
                          />
                        ))}
                    </div>
                  </div>
                ))}
              </div>
            </div>
          ) : null}
        </section>
      ) : null}
    </>
  );
}
