'use client';
import Link from 'next/link';
import { EVAL_DEFAULT_VALUES as D } from '@rcn/core/defaults';
import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { ConfigDiff } from '@/components/ConfigDiff';
import { ConfusionMatrix, LargeConfusion } from '@/components/ConfusionMatrix';
import { Curves } from '@/components/CurvesLazy';
import { ErrorBox, ProgressBar, ReportSummary, Skeleton, StatusBadge } from '@/components/common';
import { JobsTable } from '@/components/Jobs';
import { PerClassTable } from '@/components/PerClassTable';
import { TaskReports } from '@/components/TaskReports';
import { ago, num, pctCi } from '@/lib/format';
import { useGql } from '@/lib/gql';
import { EVALUATE, JOB, RESUME, RUN_DETAIL, RUN_EVALUATIONS } from '@/lib/queries';
import type {
  EvaluationFieldsFragment as Evaluation,
  JobFieldsFragment as Job,
  RunDetailQuery,
} from '@/gql/graphql';
import { confusionOf, jsonObject } from '@/lib/json';

type Run = NonNullable<RunDetailQuery['run']>;

function EvaluateForm({ run, onJob }: { run: Omit<Run, 'evaluations'>; onJob: (j: Job) => void }) {
  const [f, setF] = useState({
    checkpoint: run.checkpoints[0]?.ref ?? '',
    // '': the run's test split, as core decides it (Lake's `evaluation` after Lake's training split).
    split: '',
    way: Number(jsonObject(run.config).way ?? D.way),
    shot: Number(jsonObject(run.config).shot ?? D.shot),
    query: D.query,
    episodes: D.episodes,
    seed: D.seed,
  });
  const [state, evaluate] = useMutation(EVALUATE);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { checkpoint, split, ...config } = f;
    const r = await evaluate({
      checkpoint,
      config: { dataset: run.dataset, ...config, ...(split ? { split } : {}) },
    });
    if (r.data) onJob(r.data.evaluate);
  };
  const numField = (k: 'way' | 'shot' | 'query' | 'episodes' | 'seed', label: string) => (
    <label className="field">
      {label}
      <input
        type="number"
        min={k === 'seed' ? 0 : 1}
        value={f[k]}
        onChange={(e) => setF({ ...f, [k]: Number(e.target.value) })}
        required
      />
    </label>
  );
  return (
    <form onSubmit={submit} aria-label="Evaluate a checkpoint">
      <div className="form-grid">
        <label className="field">
          Checkpoint
          <select value={f.checkpoint} onChange={(e) => setF({ ...f, checkpoint: e.target.value })}>
            {run.checkpoints.map((c) => (
              <option key={c.ref} value={c.ref}>
                {c.name} (episode {c.episodes ?? '?'})
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Split
          <select value={f.split} onChange={(e) => setF({ ...f, split: e.target.value })}>
            <option value="">the run&apos;s test split</option>
            <option>test</option>
            <option>val</option>
            <option>train</option>
          </select>
        </label>
        {numField('way', 'Way')}
        {numField('shot', 'Shot')}
        {numField('query', 'Queries / class')}
        {numField('episodes', 'Episodes')}
        {numField('seed', 'Seed')}
      </div>
      <div className="row" style={{ marginTop: 10 }}>
        <button className="primary" type="submit" disabled={state.fetching || !f.checkpoint}>
          Evaluate
        </button>
      </div>
      <ErrorBox error={state.error} title="Could not evaluate" />
    </form>
  );
}

function EvaluationReport({ runId, e, names }: { runId: string; e: Evaluation; names: Map<string, string> }) {
  const confusion = confusionOf(e.confusion);
  return (
    <article className="panel" data-testid="evaluation">
      <ReportSummary
        name={e.name}
        createdAt={e.createdAt}
        stat={pctCi(e.accuracy, e.ci95)}
        note={`mean accuracy ± 95% CI over ${e.episodes} episodes`}
      >
        {e.dataset}/{e.split} · {e.way}-way {e.shot}-shot · {e.query} queries/class · seed {e.seed} ·
        checkpoint <span className="mono">{e.checkpoint}</span>
        {e.loss != null ? ` · loss ${num(e.loss)}` : ''}
      </ReportSummary>
      <div className="grid cols-2" style={{ marginTop: 12 }}>
        <div>
          <h3>Per-class accuracy</h3>
          <PerClassTable rows={e.perClass} />
        </div>
        <div>
          <h3>Confusion matrix</h3>
          {confusion ? (
            <ConfusionMatrix classes={confusion.classes} matrix={confusion.matrix} names={names} />
          ) : e.classCount > 0 ? (
            <LargeConfusion runId={runId} evaluation={e} names={names} />
          ) : (
            <p className="empty">No confusion matrix in this report.</p>
          )}
        </div>
      </div>
    </article>
  );
}

export function RunDetail({ id }: { id: string }) {
  const [jobId, setJobId] = useState<string | null>(null);
  const jobQ = useGql(JOB, { id: jobId ?? '' }, { pause: !jobId, pollMs: 1500 });
  const job = jobQ.data?.job ?? null;
  const jobOpen = job ? job.status === 'queued' || job.status === 'running' : false;
  const [live, setLive] = useState(false);
  const q = useGql(
    RUN_DETAIL,
    { id },
    {
      pollMs: live || jobOpen ? 2500 : null,
    },
  );
  const run = q.data?.run;
  const evQ = useGql(RUN_EVALUATIONS, { id });
  const evaluations = evQ.data?.run?.evaluations ?? [];
  // A finished evaluation job adds a report: fetch the reports again then (only then).
  const [seenJob, setSeenJob] = useState<string | null>(null);
  if (job && job.status === 'finished' && seenJob !== job.id) {
    setSeenJob(job.id);
    evQ.refetch();
  }
  if (run && (run.status === 'running') !== live) setLive(run.status === 'running');
  const [resumeState, resume] = useMutation(RESUME);
  // Readable class names come with each report (`Evaluation.classes`, in the confusion matrix's order).
  const names = new Map<string, string>();
  for (const e of evaluations) {
    for (const c of e.perClass) names.set(c.id, c.name);
    for (const c of e.classes ?? []) names.set(c.id, c.name);
  }

  if (q.waiting) return <Skeleton height={300} label="Loading run" />;
  if (q.error) return <ErrorBox error={q.error} />;
  if (!run)
    return (
      <p className="empty">
        No run <span className="mono">{id}</span>. <Link href="/runs">All runs</Link>
      </p>
    );
  const config = jsonObject(run.config);
  const model = jsonObject(config.model);
  return (
    <>
      <p className="small">
        <Link href="/runs">← Runs</Link>
      </p>
      <div className="spread">
        <h1 className="mono" style={{ wordBreak: 'break-all' }}>
          {run.id}
        </h1>
        <StatusBadge status={run.status} />
      </div>
      <p className="lede">
        {run.method.toUpperCase()} · {String(model.backbone ?? 'conv4')} · {run.dataset} ·{' '}
        {String(config.way)}
        -way {String(config.shot)}-shot · started {ago(run.startedAt)}, updated {ago(run.updatedAt)}
      </p>
      {run.error ? <ErrorBox error={run.error} title="Run failed" /> : null}
      <div className="grid cols-3">
        <div className="panel">
          <h2>Progress</h2>
          <ProgressBar done={run.episode} total={run.totalEpisodes} label="episodes" />
          <p className="small">
            {run.episode} / {run.totalEpisodes} episodes
          </p>
          {run.status === 'interrupted' || run.status === 'cancelled' || run.status === 'failed' ? (
            <button
              type="button"
              onClick={async () => {
                const r = await resume({ runId: run.id });
                if (r.data) setJobId(r.data.resumeTraining.id);
              }}
            >
              Resume training
            </button>
          ) : null}
          <ErrorBox error={resumeState.error} title="Resume" />
        </div>
        <div className="panel">
          <h2>Best validation</h2>
          <div className="stat">{pctCi(run.bestValAccuracy, run.bestValCi95)}</div>
          <p className="small muted">
            {run.bestEpisode != null ? `at episode ${run.bestEpisode}` : 'no validation yet'}
          </p>
        </div>
        <div className="panel">
          <h2>Checkpoints</h2>
          {run.checkpoints.length ? (
            <ul style={{ margin: 0, paddingLeft: 18 }}>
              {run.checkpoints.map((c) => (
                <li key={c.ref}>
                  <span className="mono">{c.name}</span> · episode {c.episodes ?? '?'} ·{' '}
                  <Link
                    href={`/explore?checkpoint=${encodeURIComponent(c.ref)}&dataset=${encodeURIComponent(run.dataset)}&way=${String(config.way)}&shot=${String(config.shot)}`}
                  >
                    explore episodes
                  </Link>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted small">None yet.</p>
          )}
        </div>
      </div>

      <section className="panel" aria-labelledby="curves-h">
        <h2 id="curves-h">Curves</h2>
        <Curves runs={[{ id: run.id, label: run.id, metrics: run.metrics }]} />
      </section>

      <section className="panel" aria-labelledby="eval-h">
        <h2 id="eval-h">Evaluation</h2>
        {run.checkpoints.length ? (
          <details open={!evQ.waiting && !evaluations.length}>
            <summary>Evaluate a checkpoint on many episodes</summary>
            <div style={{ marginTop: 10 }}>
              <EvaluateForm run={run} onJob={(j) => setJobId(j.id)} />
            </div>
          </details>
        ) : null}
        {job ? (
          <div style={{ marginTop: 10 }}>
            <JobsTable jobs={[job]} onChange={jobQ.refetch} />
          </div>
        ) : null}
        <ErrorBox error={evQ.error} title="Evaluation reports" />
        {evQ.waiting ? <Skeleton height={120} label="Loading evaluation reports" /> : null}
        {!evQ.waiting && !evaluations.length ? <p className="empty">No evaluation reports yet.</p> : null}
        {[...evaluations].reverse().map((e) => (
          <EvaluationReport key={e.name} runId={run.id} e={e} names={names} />
        ))}
      </section>

      <TaskReports runId={run.id} />

      <section className="panel" aria-labelledby="config-h">
        <h2 id="config-h">Configuration</h2>
        <ConfigDiff runs={[run]} />
      </section>
    </>
  );
}
