'use client';
import { useEffect } from 'react';
import { useGql } from '@/lib/gql';
import { CHECKPOINTS } from '@/lib/queries';
import type { CheckpointsQuery } from '@/gql/graphql';
import { pct } from '@/lib/format';
import { ErrorBox } from './common';
import { jsonObject } from '@/lib/json';

type RunWithCheckpoints = CheckpointsQuery['runs'][number];
type ZooModel = CheckpointsQuery['zoo'][number];

export interface PickedCheckpoint {
  /** `<runId>/<best|latest>` or `zoo:<name>`. */
  ref: string;
  /** The dataset it was trained on (episodes to explore are drawn from it). */
  dataset: string;
  label: string;
  /** The run it belongs to; null for a zoo model. */
  run: RunWithCheckpoints | null;
  zoo: ZooModel | null;
}

function runOptions(runs: readonly RunWithCheckpoints[]): PickedCheckpoint[] {
  return runs.flatMap((run) =>
    run.checkpoints.map((c) => ({
      ref: c.ref,
      dataset: run.dataset,
      label: `${c.ref} (${run.dataset}, ${String(jsonObject(run.config).way)}w${String(jsonObject(run.config).shot)}s, val ${pct(run.bestValAccuracy)})`,
      run,
      zoo: null,
    })),
  );
}

/** Zoo models, RCN first (their decisions can be explained), then the smaller training episodes. */
function zooOptions(zoo: readonly ZooModel[]): PickedCheckpoint[] {
  return [...zoo]
    .sort((a, b) => Number(a.method !== 'rcn') - Number(b.method !== 'rcn') || a.way - b.way)
    .map((m) => ({
      ref: m.ref,
      dataset: m.dataset,
      label: `${m.ref} (${m.dataset}, trained ${m.way}w${m.shot}s, test ${m.test[0] ? pct(m.test[0].accuracy) : '-'})`,
      run: null,
      zoo: m,
    }));
}

/**
 * A select of every run's checkpoints (best first) and of the zoo's trained models. With no choice made it
 * picks the newest run's best, or with no run of the user's own the zoo's first model, so a fresh clone
 * shows a trained model's decisions.
 */
export function CheckpointPicker({
  value,
  onChange,
  id = 'checkpoint',
}: {
  value: string | null;
  onChange: (c: PickedCheckpoint | null) => void;
  id?: string;
}) {
  const { data, error, loading } = useGql(CHECKPOINTS, {}, { pollMs: 15_000 });
  const runs = runOptions(data?.runs ?? []);
  const zoo = zooOptions(data?.zoo ?? []);
  const options = [...runs, ...zoo];
  const current = options.find((o) => o.ref === value) ?? null;
  useEffect(() => {
    if (!options.length) return;
    if (!current) onChange(runs.find((o) => o.ref.endsWith('/best')) ?? runs[0] ?? zoo[0]);
  }, [options.length, value]);
  if (error) return <ErrorBox error={error} title="Checkpoints" />;
  return (
    <label className="field" htmlFor={id}>
      Checkpoint
      <select
        id={id}
        value={current?.ref ?? ''}
        disabled={loading || !options.length}
        onChange={(e) => onChange(options.find((o) => o.ref === e.target.value) ?? null)}
      >
        {!options.length ? (
          <option value="">{loading ? 'Loading…' : 'No checkpoints: train a run first'}</option>
        ) : null}
        {runs.length ? (
          <optgroup label="Your runs">
            {runs.map((o) => (
              <option key={o.ref} value={o.ref}>
                {o.label}
              </option>
            ))}
          </optgroup>
        ) : null}
        {zoo.length ? (
          <optgroup label="Model zoo">
            {zoo.map((o) => (
              <option key={o.ref} value={o.ref}>
                {o.label}
              </option>
            ))}
          </optgroup>
        ) : null}
      </select>
    </label>
  );
}
