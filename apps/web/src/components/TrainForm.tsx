'use client';
import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { TRAIN_DEFAULT_VALUES as D } from '@rcn/core/defaults';
import { useGql } from '@/lib/gql';
import { DATASETS, START_TRAINING } from '@/lib/queries';
import type { JobFieldsFragment as Job, TrainConfigInput } from '@/gql/graphql';
import { ErrorBox } from './common';

/** Every field of the schema's TrainConfigInput but the model overrides, each set (runId '' for none). */
type FormState = {
  [K in Exclude<keyof TrainConfigInput, 'imageSize' | 'regionGrid' | 'clipNorm'>]-?: NonNullable<
    TrainConfigInput[K]
  >;
};

/** Core's defaults (the API's schema states the same), on the dashboard's own dataset choice. */
const INITIAL: FormState = {
  dataset: 'tiny-imagenet-32',
  method: D.method,
  backbone: D.backbone,
  trainSplit: D.trainSplit,
  valSplit: D.valSplit,
  way: D.way,
  shot: D.shot,
  query: D.query,
  valQuery: D.valQuery,
  episodes: D.episodes,
  valEvery: D.valEvery,
  valEpisodes: D.valEpisodes,
  lr: D.lr,
  augment: D.augment,
  seed: D.seed,
  workers: D.workers,
  runId: '',
};

const NUMBERS: { key: keyof FormState; label: string; min: number; step?: number }[] = [
  { key: 'way', label: 'Way', min: 2 },
  { key: 'shot', label: 'Shot', min: 1 },
  { key: 'query', label: 'Queries / class', min: 1 },
  { key: 'valQuery', label: 'Val queries / class', min: 1 },
  { key: 'episodes', label: 'Episodes', min: 1 },
  { key: 'valEvery', label: 'Validate every', min: 1 },
  { key: 'valEpisodes', label: 'Val episodes', min: 1 },
  { key: 'lr', label: 'Learning rate', min: 0, step: 0.0001 },
  { key: 'seed', label: 'Seed', min: 0 },
  { key: 'workers', label: 'Workers', min: 1 },
];

/** Starts a training run (`startTraining`). */
export function TrainForm({ onStarted }: { onStarted?: (job: Job) => void }) {
  const [f, setF] = useState<FormState>(INITIAL);
  const [state, start] = useMutation(START_TRAINING);
  const { data } = useGql(DATASETS, {});
  const datasets = data?.datasets ?? [];
  const splits = datasets.find((d) => d.id === f.dataset)?.splits.map((s) => s.name) ?? [
    'train',
    'val',
    'test',
  ];
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setF((s) => ({ ...s, [k]: v }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { runId, ...rest } = f;
    const r = await start({ config: { ...rest, ...(runId.trim() ? { runId: runId.trim() } : {}) } });
    if (r.data?.startTraining) onStarted?.(r.data.startTraining);
  };
  return (
    <form onSubmit={submit} aria-label="Start a training run">
      <div className="form-grid">
        <label className="field">
          Dataset
          <select value={f.dataset} onChange={(e) => set('dataset', e.target.value)}>
            {(datasets.length ? datasets.map((d) => d.id) : [f.dataset]).map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <label className="field">
          Method
          <select value={f.method} onChange={(e) => set('method', e.target.value)}>
            <option value="rcn">RCN</option>
            <option value="protonet">ProtoNet</option>
            <option value="relationnet">RelationNet</option>
          </select>
        </label>
        <label className="field">
          Backbone
          <select value={f.backbone} onChange={(e) => set('backbone', e.target.value)}>
            <option>conv4</option>
            <option>resnet12</option>
          </select>
        </label>
        <label className="field">
          Train split
          <select value={f.trainSplit} onChange={(e) => set('trainSplit', e.target.value)}>
            {splits.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label className="field">
          Val split
          <select value={f.valSplit} onChange={(e) => set('valSplit', e.target.value)}>
            {splits.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        {NUMBERS.map((n) => (
          <label className="field" key={n.key}>
            {n.label}
            <input
              type="number"
              name={n.key}
              min={n.min}
              step={n.step ?? 1}
              required
              value={f[n.key] as number}
              onChange={(e) => set(n.key, Number(e.target.value) as never)}
            />
          </label>
        ))}
        <label className="field">
          Run id (optional)
          <input
            type="text"
            value={f.runId}
            onChange={(e) => set('runId', e.target.value)}
            placeholder="auto"
            pattern="[A-Za-z0-9._-]*"
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={f.augment} onChange={(e) => set('augment', e.target.checked)} />{' '}
          Augment
        </label>
      </div>
      <div className="row" style={{ marginTop: 10 }}>
        <button type="submit" className="primary" disabled={state.fetching}>
          {state.fetching ? 'Starting…' : 'Start training'}
        </button>
        {state.data ? (
          <span className="small muted">
            Started job {state.data.startTraining.id.slice(0, 8)} for run {state.data.startTraining.runId}
          </span>
        ) : null}
      </div>
      <ErrorBox error={state.error} title="Could not start" />
    </form>
  );
}
