'use client';
/** Chooses an episode of a dataset by its identity (split, way, shot, queries, seed, index), or a random one. */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ErrorBox } from '@/components/common';

export interface EpisodeChoice {
  dataset: string;
  split: string;
  way: number;
  shot: number;
  query: number;
  seed: number;
  index: number;
}

/**
 * `dataset:split:way:shot:query:seed:index` (an episode id, as the explorer and the API write it) for
 * `dataset`, or null.
 */
export function parseEpisodeParam(id: string | null, dataset: string): EpisodeChoice | null {
  const m = id?.match(/^(.+):([^:]+):(\d+):(\d+):(\d+):(\d+):(\d+)$/);
  if (!m || m[1] !== dataset) return null;
  const [way, shot, query, seed, index] = m.slice(3).map(Number);
  return { dataset, split: m[2], way, shot, query, seed, index };
}

export function EpisodePicker({
  dataset,
  initial,
  onPick,
}: {
  dataset: string;
  initial: EpisodeChoice | null;
  onPick: (c: EpisodeChoice) => Promise<void>;
}) {
  const [c, setC] = useState<EpisodeChoice>(
    initial ?? { dataset, split: 'test', way: 5, shot: 1, query: 1, seed: 0, index: 0 },
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const pick = async (choice: EpisodeChoice) => {
    setBusy(true);
    setError(null);
    try {
      await onPick(choice);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const autoloaded = useRef(false);
  useEffect(() => {
    if (initial && !autoloaded.current) {
      autoloaded.current = true;
      void pick(initial);
    }
  }, [initial]);
  const num = (k: 'way' | 'shot' | 'query' | 'seed' | 'index', label: string, min: number) => (
    <label className="field">
      {label}
      <input
        type="number"
        min={min}
        value={c[k]}
        style={{ width: 64 }}
        onChange={(e) => setC({ ...c, [k]: Math.max(min, Math.floor(Number(e.target.value) || min)) })}
      />
    </label>
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void pick(c);
  };
  return (
    <form
      className="row"
      style={{ alignItems: 'flex-end' }}
      onSubmit={submit}
      aria-label="Episode of the dataset"
    >
      <span className="small muted" style={{ alignSelf: 'center' }}>
        Or take an episode of <span className="mono">{dataset}</span>:
      </span>
      <label className="field">
        Split
        <input
          type="text"
          value={c.split}
          style={{ width: 70 }}
          onChange={(e) => setC({ ...c, split: e.target.value })}
        />
      </label>
      {num('way', 'Way', 2)}
      {num('shot', 'Shot', 1)}
      {num('query', 'Queries/class', 1)}
      {num('seed', 'Seed', 0)}
      {num('index', 'Index', 0)}
      <button type="submit" disabled={busy} data-testid="device-load-episode">
        {busy ? 'Loading…' : 'Load episode'}
      </button>
      <button
        type="button"
        disabled={busy}
        onClick={() => {
          const next = {
            ...c,
            seed: Math.floor(Math.random() * 1000),
            index: Math.floor(Math.random() * 1000),
          };
          setC(next);
          void pick(next);
        }}
      >
        Random episode
      </button>
      <ErrorBox error={error} title="Episode" />
    </form>
  );
}
