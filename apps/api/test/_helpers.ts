/** Shared helpers of the server tests. */
import { expect } from 'vitest';
import type { GraphQLResult, ServerProcess } from '@rcn/test-utils';
import { DATASET } from './_data.js';

export interface JobView {
  id: string;
  status: string;
  error: string | null;
  runId: string | null;
  progress: { phase: string; done: number; total: number } | null;
}

export const JOB_FIELDS = 'id status error runId progress { phase done total }';

/** A tiny training config: Conv4 at 32 px, 5-way 1-shot, a handful of episodes, one worker. */
export const TINY_TRAIN = {
  dataset: DATASET,
  way: 5,
  shot: 1,
  query: 3,
  valQuery: 3,
  episodes: 4,
  valEvery: 2,
  valEpisodes: 2,
  workers: 1,
};

export function codeOf(r: GraphQLResult<unknown>): string | undefined {
  return r.errors?.[0]?.extensions?.code;
}

export function ok<T>(r: GraphQLResult<T>): T {
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data as T;
}

export async function waitJob(
  s: ServerProcess,
  id: string,
  until: (j: JobView) => boolean,
  timeoutMs = 90_000,
): Promise<JobView> {
  const t0 = Date.now();
  for (;;) {
    const j = ok(
      await s.gql<{ job: JobView }>(`query ($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`, { id }),
    ).job;
    if (until(j)) return j;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`job ${id} still ${j.status} after ${timeoutMs} ms: ${JSON.stringify(j)}\n${s.log()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export const finished = (j: JobView) => ['finished', 'failed', 'cancelled'].includes(j.status);

export async function trainTiny(
  s: ServerProcess,
  runId: string,
  extra: Record<string, unknown> = {},
): Promise<JobView> {
  const job = ok(
    await s.gql<{ startTraining: JobView }>(
      `mutation ($c: TrainConfigInput!) { startTraining(config: $c) { ${JOB_FIELDS} } }`,
      {
        c: { ...TINY_TRAIN, runId, ...extra },
      },
    ),
  ).startTraining;
  return job;
}
