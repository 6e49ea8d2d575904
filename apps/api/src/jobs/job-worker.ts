/**
 * A training or evaluation job in its own thread: the trainer and the evaluator are CPU-bound, so they
 * never share the server's event loop. Cancellation is cooperative (AbortSignal): training stops after
 * the current step with a checkpoint saved.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import {
  evaluateModel,
  initBackend,
  loadCheckpoint,
  openDataset,
  parseBackendName,
  train,
  writeJsonAtomic,
  type TrainProgress,
} from '@rcn/core';
import type { EvaluateJobData, FromWorker, JobData, ToWorker, TrainJobData } from './protocol.js';

const port = parentPort!;
const data = workerData as JobData;
const abort = new AbortController();
port.on('message', (m: ToWorker) => {
  if (m.type === 'cancel') abort.abort();
});
const send = (m: FromWorker) => port.postMessage(m);

function num(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

async function runTraining(d: TrainJobData): Promise<void> {
  const summary = await train(d.resume ? null : d.config, {
    runsDir: d.runsDir,
    runId: d.resume ? undefined : d.runId,
    resumeDir: d.resume ? `${d.runsDir}/${d.runId}` : undefined,
    episodes: d.resume ? d.episodes : undefined,
    signal: abort.signal,
    logEvery: Math.max(1, Math.min(50, Math.floor(d.config.episodes / 20))),
    onProgress: (p: TrainProgress) =>
      send({
        type: 'progress',
        progress: {
          phase: p.phase,
          done: p.episode,
          total: p.total,
          loss: num(p.loss),
          accuracy: num(p.accuracy),
          episodesPerSecond: num(p.episodesPerSecond),
          etaSeconds: num(p.etaSeconds),
        },
      }),
  });
  send({
    type: 'done',
    status: summary.status === 'interrupted' ? 'cancelled' : 'finished',
    result: { runId: summary.id, status: summary.status },
  });
}

async function runEvaluation(d: EvaluateJobData): Promise<void> {
  await initBackend(parseBackendName(d.backend));
  const { model, metadata } = await loadCheckpoint(d.checkpointDir);
  try {
    const s = d.settings;
    const ds = await openDataset(s.dataset, s.split, {
      dataDir: d.dataDir,
      imageSize: model.config.imageSize,
    });
    const t0 = Date.now();
    const report = await evaluateModel(model, ds, {
      ...s,
      signal: abort.signal,
      onProgress: (done, total, acc) => {
        const secs = (Date.now() - t0) / 1000;
        send({
          type: 'progress',
          progress: {
            phase: 'evaluate',
            done,
            total,
            loss: null,
            accuracy: acc,
            episodesPerSecond: done / Math.max(secs, 1e-3),
            etaSeconds: ((total - done) * secs) / Math.max(done, 1),
          },
        });
      },
    });
    await mkdir(dirname(d.reportPath), { recursive: true });
    await writeJsonAtomic(d.reportPath, {
      ...report,
      checkpoint: d.checkpointRef,
      checkpointEpisodes: metadata.episodes ?? null,
      createdAt: new Date().toISOString(),
    });
    send({
      type: 'done',
      status: 'finished',
      result: { reportPath: d.reportPath, accuracy: report.accuracy, ci95: report.ci95 },
    });
  } finally {
    model.dispose();
  }
}

(data.kind === 'train' ? runTraining(data) : runEvaluation(data)).catch((e: unknown) => {
  if (abort.signal.aborted) send({ type: 'done', status: 'cancelled', result: null });
  else send({ type: 'error', message: e instanceof Error ? e.message : String(e) });
});
