'use client';
import { useEffect } from 'react';
import { useGql } from '@/lib/gql';
import { CHECKPOINTS } from '@/lib/queries';
import type { CheckpointFieldsFragment as Checkpoint, CheckpointsQuery } from '@/gql/graphql';

type RunWithCheckpoints = CheckpointsQuery['runs'][number];
import { pct } from '@/lib/format';
import { ErrorBox } from './common';
import { jsonObject } from '@/lib/json';

export interface PickedCheckpoint {
  ref: string;
  run: RunWithCheckpoints;
  checkpoint: Checkpoint;
}

/** A select of every run's checkpoints (best first); picks the newest run's best when none is chosen. */
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
  const options: PickedCheckpoint[] = (data?.runs ?? []).flatMap((run) =>
    run.checkpoints.map((checkpoint) => ({ ref: checkpoint.ref, run, checkpoint })),
  );
  const current = options.find((o) => o.ref === value) ?? null;
  useEffect(() => {
    if (!options.length) return;
    if (!current) onChange(options.find((o) => o.checkpoint.name === 'best') ?? options[0]);
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
        {options.map((o) => (
          <option key={o.ref} value={o.ref}>
            {o.ref} ({o.run.dataset}, {String(jsonObject(o.run.config).way)}w
            {String(jsonObject(o.run.config).shot)}s, val {pct(o.run.bestValAccuracy)})
          </option>
        ))}
      </select>
    </label>
  );
}
