'use client';
import { useRouter, useSearchParams } from 'next/navigation';
import { useMemo, useState, type FormEvent } from 'react';
import { CheckpointPicker } from '@/components/CheckpointPicker';
import { ErrorBox, Skeleton } from '@/components/common';
import { pct, shortName } from '@/lib/format';
import { useGql } from '@/lib/gql';
import { CHECKPOINTS, DATASETS, EPISODE, PREDICTION } from '@/lib/queries';
import type { EpisodeQueryVariables as EpisodeInput } from '@/gql/graphql';
import { TASK_PREDICTION, type TasksFileRef } from '@/lib/tasks';
import { RamPanel } from './RamPanel';
import { TasksPicker } from './TasksPicker';

const DEFAULTS = { dataset: 'tiny-imagenet-32', split: 'test', way: 5, shot: 1, query: 3, seed: 0, index: 0 };

function intParam(p: URLSearchParams, k: string, d: number): number {
  const v = Number(p.get(k));
  return p.has(k) && Number.isInteger(v) ? v : d;
}

export function Explorer() {
  const params = useSearchParams();
  const router = useRouter();
  // The checkpoint's own dataset is the default (same query as the picker's, so urql serves it once).
  const runsQ = useGql(CHECKPOINTS, {});
  // `?run=<id>` names a run: its best checkpoint, else its latest.
  const runParam = params.get('run');
  const runCheckpoints = runsQ.data?.runs.find((r) => r.id === runParam)?.checkpoints ?? [];
  const checkpoint =
    params.get('checkpoint') ??
    (runCheckpoints.find((c) => c.name === 'best') ?? runCheckpoints[0])?.ref ??
    null;
  const checkpointDataset =
    runsQ.data?.runs.find((r) => r.checkpoints.some((c) => c.ref === checkpoint))?.dataset ?? null;
  const datasetKnown = params.has('dataset') || !checkpoint || !runsQ.waiting;
  const spec: EpisodeInput = {
    dataset: params.get('dataset') ?? checkpointDataset ?? DEFAULTS.dataset,
    split: params.get('split') ?? DEFAULTS.split,
    way: intParam(params, 'way', DEFAULTS.way),
    shot: intParam(params, 'shot', DEFAULTS.shot),
    query: intParam(params, 'query', DEFAULTS.query),
    seed: intParam(params, 'seed', DEFAULTS.seed),
    index: intParam(params, 'index', DEFAULTS.index),
  };
  const selectedQuery = params.has('q') ? intParam(params, 'q', 0) : null;
  // A fixed tasks file instead of a sampled episode: `tasks` (and `tasksRun`) name the file, `task` its episode.
  const tasksPath = params.get('tasks');
  const tasksRun = params.get('tasksRun');
  const tasksFile: TasksFileRef | null = useMemo(
    () => (tasksPath ? { path: tasksPath, run: tasksRun } : null),
    [tasksPath, tasksRun],
  );
  const taskId = params.get('task');
  const tasksMode = params.get('source') === 'tasks' || tasksFile !== null;
  const update = (patch: Record<string, string | number | null>) => {
    const next = new URLSearchParams(params.toString());
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) next.delete(k);
      else next.set(k, String(v));
    }
    router.replace(`/explore?${next.toString()}`, { scroll: false });
  };

  const [draft, setDraft] = useState(spec);
  const specKey = JSON.stringify(spec);
  const [draftKey, setDraftKey] = useState(specKey);
  if (draftKey !== specKey) {
    setDraftKey(specKey);
    setDraft(spec);
  }
  const datasets = useGql(DATASETS, {});
  const splits = datasets.data?.datasets.find((d) => d.id === draft.dataset)?.splits ?? [];

  const episodeVars = useMemo(() => spec, [specKey]);
  const episodeQ = useGql(EPISODE, episodeVars, { pause: !datasetKnown || tasksMode });
  const predictionQ = useGql(
    PREDICTION,
    { checkpoint: checkpoint ?? '', episode: episodeVars },
    { pause: !checkpoint || !datasetKnown || tasksMode },
  );
  // A task's images are shown as the checkpoint sees them: they come with its prediction.
  const taskQ = useGql(
    TASK_PREDICTION,
    { checkpoint: checkpoint ?? '', file: tasksFile ?? { path: '' }, episode: taskId ?? '' },
    { pause: !tasksMode || !checkpoint || !tasksFile || !taskId },
  );
  const mismatch = !tasksMode && checkpoint && checkpointDataset && checkpointDataset !== spec.dataset;
  const episode = tasksMode ? taskQ.data?.taskPrediction.episode : episodeQ.data?.episode;
  const prediction = tasksMode ? taskQ.data?.taskPrediction : predictionQ.data?.prediction;
  const sourceQ = tasksMode ? taskQ : episodeQ;
  const predFor = (q: number) => prediction?.queries[q];

  const submit = (e: FormEvent) => {
    e.preventDefault();
    update({ ...draft, q: null });
  };
  const randomise = () => update({ ...draft, seed: Math.floor(Math.random() * 1_000_000), q: null });

  const className = (label: number) => episode?.classes[label]?.name ?? String(label);
  const correct = prediction?.queries.filter((q) => q.correct).length ?? 0;

  const sourceToggle = (
    <div className="segmented" role="group" aria-label="Episodes from" style={{ marginBottom: 10 }}>
      <button
        type="button"
        aria-pressed={!tasksMode}
        onClick={() => update({ source: null, tasks: null, tasksRun: null, task: null, q: null })}
      >
        Sampled episode
      </button>
      <button type="button" aria-pressed={tasksMode} onClick={() => update({ source: 'tasks', q: null })}>
        Tasks file
      </button>
    </div>
  );

  return (
    <>
      {tasksMode ? (
        <div className="panel" aria-label="Task">
          {sourceToggle}
          <div className="form-grid" style={{ marginBottom: 10 }}>
            <div style={{ gridColumn: 'span 2' }}>
              <CheckpointPicker
                value={checkpoint}
                onChange={(c) => update({ checkpoint: c?.ref ?? null, run: null })}
              />
            </div>
          </div>
          <TasksPicker
            file={tasksFile}
            episode={taskId}
            onFile={(f) =>
              update({ source: 'tasks', tasks: f.path, tasksRun: f.run ?? null, task: null, q: null })
            }
            onEpisode={(id) => update({ task: id, q: null })}
          />
          {episode ? <span className="mono small muted">{episode.id}</span> : null}
          {!checkpoint ? (
            <p className="notice">Choose a checkpoint: a task is shown with its predictions.</p>
          ) : null}
        </div>
      ) : (
        <form className="panel" onSubmit={submit} aria-label="Episode">
          {sourceToggle}
          <div className="form-grid">
            <div style={{ gridColumn: 'span 2' }}>
              <CheckpointPicker
                value={checkpoint}
                onChange={(c) => update({ checkpoint: c?.ref ?? null, run: null })}
              />
            </div>
            <label className="field">
              Dataset
              <select value={draft.dataset} onChange={(e) => setDraft({ ...draft, dataset: e.target.value })}>
                {(datasets.data?.datasets.map((d) => d.id) ?? [draft.dataset]).map((d) => (
                  <option key={d}>{d}</option>
                ))}
              </select>
            </label>
            <label className="field">
              Split
              <select value={draft.split} onChange={(e) => setDraft({ ...draft, split: e.target.value })}>
                {(splits.length ? splits.map((s) => s.name) : [draft.split]).map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </label>
            {(
              [
                ['way', 'Way', 2, 20],
                ['shot', 'Shot', 1, 10],
                ['query', 'Queries / class', 1, 20],
                ['seed', 'Seed', 0, 2 ** 31],
                ['index', 'Episode index', 0, 1_000_000],
              ] as const
            ).map(([k, label, min, max]) => (
              <label className="field" key={k}>
                {label}
                <input
                  type="number"
                  name={k}
                  min={min}
                  max={max}
                  value={draft[k]}
                  required
                  onChange={(e) => setDraft({ ...draft, [k]: Number(e.target.value) })}
                />
              </label>
            ))}
          </div>
          <div className="row" style={{ marginTop: 10 }}>
            <button type="submit" className="primary">
              Show episode
            </button>
            <button type="button" onClick={randomise}>
              Random episode
            </button>
            {episode ? <span className="mono small muted">{episode.id}</span> : null}
          </div>
        </form>
      )}

      {mismatch ? (
        <p className="notice" role="alert" data-testid="dataset-mismatch">
          This checkpoint was trained on <b>{checkpointDataset}</b>, but the episode is from{' '}
          <b>{spec.dataset}</b>: its predictions here are outside its training domain.{' '}
          <button
            type="button"
            onClick={() => update({ dataset: checkpointDataset, split: 'test', q: null })}
          >
            Use {checkpointDataset}
          </button>
        </p>
      ) : null}
      <ErrorBox error={sourceQ.error} title="Episode" />
      {sourceQ.waiting && (!tasksMode || (checkpoint && taskId)) ? (
        <Skeleton height={160} label="Loading episode" />
      ) : null}
      {episode ? (
        <div className="grid explore-top">
          <section className="panel" aria-labelledby="support-h" data-testid="support-set">
            <h2 id="support-h">
              Support set{' '}
              <span className="muted small">
                ({episode.way} classes × {episode.shot})
              </span>
            </h2>
            <div className="class-strip">
              {episode.classes.map((c) => (
                <div className="class-card" key={c.label}>
                  <h3 title={`${c.id}: ${c.name}`}>
                    {c.label + 1}. {shortName(c.name)}
                  </h3>
                  <div className="row" style={{ gap: 4 }}>
                    {episode.support
                      .filter((s) => s.label === c.label)
                      .map((s) => (
                        <img
                          key={s.index}
                          className="thumb"
                          src={s.url}
                          alt={`support ${s.index + 1}: ${c.name}`}
                          width={64}
                          height={64}
                        />
                      ))}
                  </div>
                </div>
              ))}
            </div>
          </section>
          <section className="panel" aria-labelledby="queries-h" data-testid="queries">
            <div className="spread">
              <h2 id="queries-h">Queries</h2>
              {prediction ? (
                <span data-testid="episode-accuracy">
                  <strong>
                    {correct}/{prediction.queries.length}
                  </strong>{' '}
                  correct ({pct(prediction.accuracy)})
                </span>
              ) : null}
            </div>
            {!checkpoint ? <p className="notice">Choose a checkpoint to see predictions.</p> : null}
            {tasksMode ? null : <ErrorBox error={predictionQ.error} title="Prediction" />}
            {predictionQ.waiting && checkpoint ? (
              <p className="muted small" role="status">
                Running the model…
              </p>
            ) : null}
            <div className="query-grid" role="list">
              {episode.queries.map((qi) => {
                const p = predFor(qi.index);
                const conf = p ? p.probabilities[p.predictedLabel] : null;
                return (
                  <div role="listitem" key={qi.index}>
                    <button
                      type="button"
                      className="query-tile"
                      aria-pressed={selectedQuery === qi.index}
                      data-testid={`query-${qi.index}`}
                      onClick={() => update({ q: selectedQuery === qi.index ? null : qi.index })}
                      title={`query ${qi.index + 1}, true class: ${className(qi.label)}`}
                    >
                      <img className="thumb" src={qi.url} alt="" width={96} height={96} />
                      {p ? (
                        <>
                          <span className="pred-name">
                            <span className={`mark ${p.correct ? 'ok' : 'bad'}`} aria-hidden="true">
                              {p.correct ? '✓' : '✗'}
                            </span>{' '}
                            {shortName(className(p.predictedLabel))}
                          </span>
                          <span className="muted">
                            {pct(conf, 0)}{' '}
                            {p.correct ? (
                              <span className="sr-only">correct</span>
                            ) : (
                              <span>
                                <span className="sr-only">wrong,</span> · true:{' '}
                                {shortName(className(qi.label))}
                              </span>
                            )}
                          </span>
                        </>
                      ) : (
                        <span className="muted">{shortName(className(qi.label))}</span>
                      )}
                    </button>
                  </div>
                );
              })}
            </div>
            <p className="small muted" style={{ marginBottom: 0 }}>
              Select a query to see its region activation maps.
            </p>
          </section>
        </div>
      ) : null}

      {episode && prediction && selectedQuery != null && prediction.queries[selectedQuery] && checkpoint ? (
        <RamPanel
          checkpoint={checkpoint}
          episode={episode}
          spec={episodeVars}
          prediction={prediction}
          query={selectedQuery}
          task={tasksMode && tasksFile && taskId ? { file: tasksFile, episode: taskId } : null}
        />
      ) : null}
    </>
  );
}
