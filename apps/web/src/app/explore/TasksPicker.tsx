'use client';
/**
 * Choosing an episode of a fixed tasks file: the file (a JSON tasks file or a folder of Lake's one-shot
 * runs, relative to the data folder or to a run's folder), then one of its episodes by id.
 */
import { useState, type FormEvent } from 'react';
import { ErrorBox } from '@/components/common';
import { useGql } from '@/lib/gql';
import { TASKS_FILE, TASK_LIST_LIMIT, type TasksFileRef } from '@/lib/tasks';

export function TasksPicker({
  file,
  episode,
  onFile,
  onEpisode,
}: {
  file: TasksFileRef | null;
  episode: string | null;
  onFile: (f: TasksFileRef) => void;
  onEpisode: (id: string) => void;
}) {
  const [draft, setDraft] = useState({ path: file?.path ?? '', run: file?.run ?? '' });
  const fileKey = JSON.stringify(file);
  const [seen, setSeen] = useState(fileKey);
  if (seen !== fileKey) {
    setSeen(fileKey);
    setDraft({ path: file?.path ?? '', run: file?.run ?? '' });
  }
  const q = useGql(TASKS_FILE, { file: file ?? { path: '' }, limit: TASK_LIST_LIMIT }, { pause: !file });
  const tf = q.data?.tasksFile;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onFile({ path: draft.path.trim(), run: draft.run.trim() || null });
  };
  return (
    <div data-testid="tasks-picker">
      <form onSubmit={submit} aria-label="Open a tasks file" className="form-grid">
        <label className="field" style={{ gridColumn: 'span 2' }}>
          Tasks file
          <input
            name="tasks"
            placeholder="my-tasks/tasks.json or omniglot/one-shot-classification"
            value={draft.path}
            required
            onChange={(e) => setDraft({ ...draft, path: e.target.value })}
          />
        </label>
        <label className="field">
          In run (optional)
          <input
            name="tasksRun"
            placeholder="data folder"
            value={draft.run}
            onChange={(e) => setDraft({ ...draft, run: e.target.value })}
          />
        </label>
        <div className="field" style={{ alignSelf: 'end' }}>
          <button type="submit" className="primary">
            Open file
          </button>
        </div>
      </form>
      <ErrorBox error={q.error} title="Tasks file" />
      {tf ? (
        <div className="row" style={{ marginTop: 10, alignItems: 'end' }}>
          <label className="field">
            Episode
            <select
              aria-label="Episode"
              value={episode ?? ''}
              onChange={(e) => e.target.value && onEpisode(e.target.value)}
            >
              <option value="">choose one of {tf.episodeCount}…</option>
              {tf.episodes.map((ep) => (
                <option key={ep.index} value={ep.id}>
                  {ep.id} · {ep.way}-way {ep.shot}-shot · {ep.queries} queries
                </option>
              ))}
            </select>
          </label>
          <span className="small muted" data-testid="tasks-summary">
            {tf.name ?? tf.path} · {tf.format === 'lake' ? "Lake's one-shot runs" : 'tasks file'} ·{' '}
            {tf.episodeCount} episodes
            {tf.episodeCount > tf.episodes.length ? ` (first ${tf.episodes.length} listed)` : ''}
            {tf.metric === 'error' ? ' · reported as error rate' : ''}
          </span>
        </div>
      ) : null}
    </div>
  );
}
