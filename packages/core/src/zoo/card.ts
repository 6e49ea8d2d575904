/**
 * A zoo model's card (`zoo/<name>/card.json`): what the model is, how it was trained (protocol, budget,
 * machine, the exact command), its validation curve against episodes and wall-clock, its test accuracy, and
 * a small fixed check that any later version of the code must still reproduce (see `zoo/check.ts`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../io/index.js';

export const ZOO_CARD_FILE = 'card.json';

const pct = z.number().min(0).max(1);

export const zooEvaluationSchema = z.object({
  split: z.string(),
  way: z.number().int(),
  shot: z.number().int(),
  query: z.number().int(),
  episodes: z.number().int(),
  seed: z.number().int(),
  /** Every episode's classes from one class group (Omniglot: one alphabet, Lake's form). */
  withinGroup: z.boolean(),
  bnInference: z.enum(['batch', 'running']),
  accuracy: pct,
  ci95: z.number().min(0),
});
export type ZooEvaluation = z.infer<typeof zooEvaluationSchema>;

/** Fixed test episodes and what the model scored on each: reproduced by the zoo test. */
export const zooCheckSchema = z.object({
  split: z.string(),
  way: z.number().int(),
  shot: z.number().int(),
  query: z.number().int(),
  episodes: z.number().int().min(1),
  seed: z.number().int(),
  /** Correct queries per episode, in episode order. */
  correct: z.array(z.number().int().min(0)),
  /** Mean over the episodes of the MSE between probabilities and one-hot labels. */
  loss: z.number().min(0),
});
export type ZooCheck = z.infer<typeof zooCheckSchema>;

export const zooCardSchema = z.object({
  format: z.literal('rcn-zoo-card'),
  version: z.literal(1),
  name: z.string(),
  title: z.string(),
  method: z.enum(['rcn', 'protonet', 'relationnet']),
  backbone: z.enum(['conv4', 'resnet12']),
  dataset: z.string(),
  imageSize: z.number().int(),
  splits: z.object({ train: z.string(), val: z.string(), test: z.string() }),
  training: z.object({
    way: z.number().int(),
    shot: z.number().int(),
    query: z.number().int(),
    valQuery: z.number().int(),
    valEvery: z.number().int(),
    valEpisodes: z.number().int(),
    lr: z.number(),
    lrFactor: z.number(),
    lrPatience: z.number().int(),
    earlyStop: z.number().int(),
    augment: z.boolean(),
    seed: z.number().int(),
    /** The budget the run was given, and what it trained before it stopped. */
    plannedEpisodes: z.number().int(),
    episodes: z.number().int(),
    bestEpisode: z.number().int(),
    /** `early-stop`: validation stopped improving; null: the budget ran out. */
    stopReason: z.string().nullable(),
    /** Wall-clock training time over all its working periods (validation included). */
    wallSeconds: z.number(),
  }),
  /** The machine and backend that trained it. */
  machine: z.string(),
  backend: z.string(),
  /** The exact command that made it (from the repository root). */
  command: z.string(),
  createdAt: z.string(),
  /** Every validation: episodes trained, wall-clock seconds, accuracy ± CI, learning rate. */
  validation: z.array(
    z.object({
      episode: z.number().int(),
      seconds: z.number(),
      accuracy: pct,
      ci95: z.number(),
      lr: z.number(),
    }),
  ),
  /** Test evaluations of the best validation checkpoint (each made once, after training). */
  test: z.array(zooEvaluationSchema),
  check: zooCheckSchema,
  /** The dataset's licence and credit, for whoever reuses the weights. */
  licence: z.string(),
});
export type ZooCard = z.infer<typeof zooCardSchema>;

/** Reads and checks `<dir>/card.json`; errors name the file and the field. */
export async function readZooCard(dir: string): Promise<ZooCard> {
  const path = join(dir, ZOO_CARD_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: cannot read the zoo card (${(e as Error).message})`);
  }
  const r = zooCardSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`${path}: '${issue.path.join('.') || '(root)'}': ${issue.message}`);
  }
  return r.data;
}

export async function writeZooCard(dir: string, card: ZooCard): Promise<void> {
  await writeJsonAtomic(join(dir, ZOO_CARD_FILE), zooCardSchema.parse(card));
}
