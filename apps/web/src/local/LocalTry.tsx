'use client';
/**
 * "Try it on this device": a checkpoint runs in this browser (core's browser entry, WebGPU or wasm SIMD).
 * Supports per class and queries come from the user's files (decoded here, never sent anywhere) or from a
 * dataset episode the host offers; predictions and Region Activation Maps are computed here, with the
 * backend that ran and the time each prediction took. Shared by the dashboard's try page and the static
 * demo (`pnpm cli export-demo`): the host only says which models and episodes exist.
 */
import { useEffect, useMemo, useState, type DragEvent, type ReactNode } from 'react';
import {
  classRam,
  domainWarning,
  gridGeometry,
  type BrowserBackendInfo,
  type DemoEpisode,
  type FetchedCheckpoint,
} from '@rcn/core/browser';
import { ErrorBox, ViridisLegend } from '@/components/common';
import { Heatmap } from '@/components/Heatmap';
import { pct } from '@/lib/format';
import {
  classify,
  datasetUrlImage,
  fileImage,
  loadModel,
  startBackend,
  type EpisodeImage,
  type LocalAnswer,
} from './engine';
import { resultJson } from './result-json';

export interface LocalModel {
  id: string;
  label: string;
  /** The checkpoint folder's URL (metadata.json, model.json and weights beside each other). */
  url: string;
}

/** An episode of the model's dataset: image URLs served as the dataset stores them, classes in order. */
export type DatasetEpisode = DemoEpisode;

export interface LocalTryProps {
  models: LocalModel[];
  /** Model chosen first (else the first). */
  initialModel?: string | null;
  /** Where the page is served from: `tfjs/` beside it holds the wasm binaries. */
  base: string;
  backend?: 'auto' | 'webgpu' | 'wasm';
  /** False: wasm on TF.js's stock kernels only (`?kernels=stock`, to measure what ours bring). */
  ourKernels?: boolean;
  /** The host's episode picker: calls `load` with an episode of the model's dataset. */
  episodePicker?: (load: (e: DatasetEpisode) => Promise<void>, ck: FetchedCheckpoint | null) => ReactNode;
  /** Shown under the results (e.g. a dataset's licence). */
  footer?: ReactNode;
}

interface SupportClass {
  label: string;
  images: EpisodeImage[];
}
interface QueryImage extends EpisodeImage {
  /** The true class's name, or '' when unknown. */
  label: string;
}

interface Run {
  answer: LocalAnswer;
  classes: string[];
  supports: EpisodeImage[];
  queries: QueryImage[];
  warnings: (string | null)[];
}

const ms = (x: number) => `${x < 100 ? x.toFixed(1) : Math.round(x)} ms`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function onDropFiles(add: (files: File[]) => void) {
  return {
    onDragOver: (e: DragEvent) => e.preventDefault(),
    onDrop: (e: DragEvent) => {
      e.preventDefault();
      add([...e.dataTransfer.files].filter((f) => f.type.startsWith('image/')));
    },
  };
}

function Thumb({ img, onRemove }: { img: EpisodeImage; onRemove?: () => void }) {
  return (
    <span style={{ position: 'relative', display: 'inline-block' }}>
      {/* Object URLs of the user's files, or dataset images: next/image has nothing to optimise here. */}
      <img
        className="thumb"
        src={img.src}
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

export function LocalTry({
  models,
  initialModel,
  base,
  backend = 'auto',
  ourKernels = true,
  episodePicker,
  footer,
}: LocalTryProps) {
  const [modelId, setModelId] = useState<string | null>(initialModel ?? null);
  const model = models.find((m) => m.id === modelId) ?? models[0] ?? null;
  const [info, setInfo] = useState<BrowserBackendInfo | null>(null);
  const [ck, setCk] = useState<FetchedCheckpoint | null>(null);
  const [loadMs, setLoadMs] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [classes, setClasses] = useState<SupportClass[]>([
    { label: 'class A', images: [] },
    { label: 'class B', images: [] },
  ]);
  const [queries, setQueries] = useState<QueryImage[]>([]);
  const [episodeTitle, setEpisodeTitle] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [runs, setRuns] = useState<number[]>([]);
  const [run, setRun] = useState<Run | null>(null);
  const [selected, setSelected] = useState(0);

  useEffect(() => {
    startBackend(backend, base, ourKernels).then(setInfo, (e: unknown) =>
      setError(`backend: ${(e as Error).message}`),
    );
  }, [backend, base, ourKernels]);

  useEffect(() => {
    if (!info || !model) return;
    let live = true;
    setCk(null);
    setRun(null);
    setRuns([]);
    const t0 = performance.now();
    loadModel(model.url).then(
      (c) => {
        if (!live) return;
        setLoadMs(performance.now() - t0);
        setCk(c);
      },
      (e: unknown) => live && setError(`model: ${(e as Error).message}`),
    );
    return () => {
      live = false;
    };
  }, [info, model?.url]);

  const shots = classes.map((c) => c.images.length);
  const uneven = new Set(shots).size > 1;
  const labels = classes.map((c) => c.label.trim());
  const duplicate = new Set(labels).size !== labels.length || labels.some((l) => !l);
  const ready =
    ck && classes.length >= 2 && shots.every((s) => s > 0) && !uneven && !duplicate && queries.length > 0;

  const addFiles = async (files: File[], to: (imgs: EpisodeImage[]) => void) => {
    try {
      to(await Promise.all(files.map(fileImage)));
      setEpisodeTitle(null);
    } catch (e) {
      setError(`image: ${(e as Error).message}`);
    }
  };

  const loadEpisode = async (e: DatasetEpisode) => {
    setError(null);
    const cls = await Promise.all(
      e.classes.map(async (c) => ({
        label: c.name,
        images: await Promise.all(c.support.map((s) => datasetUrlImage(s.url, s.name))),
      })),
    );
    const qs = await Promise.all(
      e.queries.map(async (q) => ({
        ...(await datasetUrlImage(q.url, q.name)),
        label: e.classes[q.label]?.name ?? '',
      })),
    );
    setClasses(cls);
    setQueries(qs);
    setEpisodeTitle(e.title);
    setRun(null);
  };

  const go = async () => {
    if (!ck) return;
    setBusy(true);
    setError(null);
    try {
      const names = classes.map((c) => c.label.trim());
      const answer = await classify(
        ck,
        classes.map((c) => c.images),
        queries,
        queries.map((q) => (q.label ? names.indexOf(q.label) : -1)),
      );
      const { prepared } = answer;
      setRuns((r) => [...r, answer.timings.prepareMs + answer.timings.runMs]);
      setRun({
        answer,
        classes: names,
        supports: classes.flatMap((c) => c.images),
        queries,
        warnings: prepared.queries.map((p) => domainWarning(p.stats, ck.input)),
      });
      setSelected(0);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const jsonUrl = useMemo(() => {
    if (!run || !ck || !info) return null;
    const json = resultJson(ck, info, run.classes, run.answer, runs);
    return URL.createObjectURL(new Blob([JSON.stringify(json)], { type: 'application/json' }));
  }, [run, ck, info, runs]);
  useEffect(() => () => (jsonUrl ? URL.revokeObjectURL(jsonUrl) : undefined), [jsonUrl]);

  const p = run?.answer.prediction;
  const rq = p?.queries[selected];
  const geometry = ck?.geometry ? gridGeometry(ck.geometry) : null;
  const maps = rq?.supports.map((s) => s.contributions) ?? [];
  const lo = maps.length ? Math.min(...maps.flat()) : 0;
  const hi = maps.length ? Math.max(...maps.flat()) : 1;

  return (
    <>
      <div className="panel" data-testid="device-status">
        <div className="row" style={{ alignItems: 'flex-end' }}>
          <label className="field" htmlFor="device-model" style={{ minWidth: 280, flex: 1 }}>
            Model
            <select
              id="device-model"
              value={model?.id ?? ''}
              disabled={!models.length}
              onChange={(e) => setModelId(e.target.value)}
            >
              {!models.length ? <option value="">No checkpoints: train a run first</option> : null}
              {models.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.label}
                </option>
              ))}
            </select>
          </label>
        </div>
        <p className="small" data-testid="device-backend">
          <strong>Computed on this device:</strong>{' '}
          {info ? (
            <>
              <span data-backend={info.name}>{info.description}</span>
              {info.skipped.map((s) => (
                <span key={s.name} className="muted">
                  {' '}
                  ({s.name} not used: {s.reason})
                </span>
              ))}
            </>
          ) : (
            'starting the backend…'
          )}
        </p>
        <p className="small" data-testid="device-model-info">
          {ck
            ? `${ck.method} ${ck.metadata.model.backbone} ${ck.input.size} px${ck.dataset ? `, trained on ${ck.dataset}` : ''}; ` +
              `${(ck.bytes / 1024).toFixed(0)} KiB loaded in ${ms(loadMs ?? 0)}`
            : model
              ? 'loading the model…'
              : null}
          {runs.length ? (
            <span data-testid="device-timings">
              {' '}
              · first prediction {ms(runs[0])}
              {runs.length > 1 ? `, later ${ms(median(runs.slice(1)))} (median of ${runs.length - 1})` : ''}
            </span>
          ) : null}
        </p>
        {episodePicker ? episodePicker(loadEpisode, ck) : null}
        <ErrorBox error={error} title="On this device" />
      </div>
      <div className="grid cols-2">
        <section className="panel" aria-labelledby="dsup-h">
          <h2 id="dsup-h">
            Support images (labelled)
            {episodeTitle ? <span className="small muted"> · {episodeTitle}</span> : null}
          </h2>
          {classes.map((c, ci) => (
            <fieldset
              key={ci}
              className="class-card"
              style={{ marginBottom: 8 }}
              {...onDropFiles((files) =>
                addFiles(files, (imgs) =>
                  setClasses((cs) =>
                    cs.map((x, i) => (i === ci ? { ...x, images: [...x.images, ...imgs] } : x)),
                  ),
                ),
              )}
            >
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
                  Add images (or drop them here)
                  <input
                    type="file"
                    accept="image/*"
                    multiple
                    data-testid={`device-support-files-${ci}`}
                    onChange={(e) => {
                      const files = [...(e.target.files ?? [])];
                      e.target.value = '';
                      void addFiles(files, (imgs) =>
                        setClasses((cs) =>
                          cs.map((x, i) => (i === ci ? { ...x, images: [...x.images, ...imgs] } : x)),
                        ),
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
        <section
          className="panel"
          aria-labelledby="dq-h"
          {...onDropFiles((files) =>
            addFiles(files, (imgs) =>
              setQueries((qs) => [...qs, ...imgs.map((im) => ({ ...im, label: '' }))]),
            ),
          )}
        >
          <h2 id="dq-h">Query images</h2>
          <label className="field">
            Add query images (or drop them here)
            <input
              type="file"
              accept="image/*"
              multiple
              data-testid="device-query-files"
              onChange={(e) => {
                const files = [...(e.target.files ?? [])];
                e.target.value = '';
                void addFiles(files, (imgs) =>
                  setQueries((qs) => [...qs, ...imgs.map((im) => ({ ...im, label: '' }))]),
                );
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
            <button
              type="button"
              className="primary"
              disabled={!ready || busy}
              onClick={go}
              data-testid="device-classify"
            >
              {busy ? 'Classifying…' : 'Classify on this device'}
            </button>
          </div>
        </section>
      </div>
      {run && p ? (
        <section className="panel" aria-labelledby="dres-h" data-testid="device-results">
          <div className="spread">
            <h2 id="dres-h">
              Predictions ({p.way}-way {p.shot}-shot), computed on this device in{' '}
              {ms(run.answer.timings.runMs)}
            </h2>
            {jsonUrl ? (
              <a href={jsonUrl} download="rcn-predictions.json" data-testid="device-json">
                The numbers (JSON)
              </a>
            ) : null}
          </div>
          <div className="query-grid">
            {p.queries.map((q) => {
              const truth = run.queries[q.index]?.label;
              const correct = truth ? run.classes[q.predicted] === truth : null;
              return (
                <button
                  key={q.index}
                  type="button"
                  className="query-tile"
                  aria-pressed={selected === q.index}
                  onClick={() => setSelected(q.index)}
                  title={run.warnings[q.index] ?? undefined}
                >
                  <img
                    className="thumb"
                    src={run.queries[q.index]?.src}
                    alt=""
                    width={96}
                    height={96}
                    style={{ objectFit: 'cover' }}
                  />
                  <span className="pred-name">
                    {correct != null ? (
                      <span
                        className={`mark ${correct ? 'ok' : 'bad'}`}
                        aria-label={correct ? 'correct' : 'wrong'}
                      >
                        {correct ? '✓' : '✗'}{' '}
                      </span>
                    ) : null}
                    {run.classes[q.predicted]}
                  </span>
                  <span className="muted">
                    {pct(q.probabilities[q.predicted], 0)}
                    {run.warnings[q.index] ? ' ⚠' : ''}
                  </span>
                </button>
              );
            })}
          </div>
          {rq && run.warnings[selected] ? (
            <p className="notice small">
              Query {selected + 1}: {run.warnings[selected]}
            </p>
          ) : null}
          {rq && run.answer.ram ? (
            <div style={{ marginTop: 14 }}>
              <div className="spread">
                <h3>RAMs of query {selected + 1}</h3>
                <ViridisLegend min={lo} max={hi} label="w_k·r_k" />
              </div>
              <div className="ram-classes">
                {run.classes.map((name, label) => (
                  <div key={name} className={`ram-class${label === rq.predicted ? ' predicted' : ''}`}>
                    <div className="spread small">
                      <strong>
                        {name}
                        {label === rq.predicted ? ' · predicted' : ''}
                      </strong>
                      <span className="mono">
                        p = {pct(rq.probabilities[label])} · score{' '}
                        {classRam(run.answer.ram!, selected, label).classScore.toFixed(3)}
                      </span>
                    </div>
                    <div className="ram-supports">
                      {rq.supports
                        .filter((s) => s.label === label)
                        .map((s) => (
                          <Heatmap
                            key={s.index}
                            src={run.supports[s.index]?.src ?? ''}
                            alt={`RAM of support ${s.index + 1} (${name})`}
                            rows={geometry?.rows ?? 1}
                            cols={geometry?.cols ?? 1}
                            values={maps[s.index]}
                            min={lo}
                            max={hi}
                            size={112}
                            geometry={geometry}
                          />
                        ))}
                    </div>
                  </div>
                ))}
              </div>
            </div>
          ) : rq ? (
            <p className="small muted">
              This checkpoint has no region grid ({ck?.method}): probabilities only.
            </p>
          ) : null}
        </section>
      ) : null}
      {footer}
    </>
  );
}
