/**
 * Training checkpoints: a model checkpoint plus everything needed to continue exactly (optimiser moments
 * and step, learning-rate schedule, progress). A checkpoint directory is written whole under a temporary
 * name and swapped in by renames, so `latest/` is always a complete checkpoint, old or new.
 */
import { existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { encodeNpy, readNpz, writeFileAtomic, writeJsonAtomic } from '../io/index.js';
import {
  readCheckpoint,
  resolveCheckpointDir,
  saveCheckpoint,
  type CheckpointInfo,
  type FewShotModel,
  type WeightMap,
} from '../model/index.js';
import type { AdamState } from './adam.js';
import type { PlateauState } from './schedule.js';

export interface TrainerProgress {
  /** Training episodes done. */
  episode: number;
  bestValAccuracy: number | null;
  bestValCi95: number | null;
  bestEpisode: number | null;
  /** Validations in a row without a new best (absent in older checkpoints: 0). */
  sinceBest?: number;
  /** Seconds of training before this checkpoint, over all processes (absent in older checkpoints). */
  elapsedSeconds?: number;
  /** Set when the run stopped early (early stopping): resuming it trains no further. */
  stopReason?: 'early-stop';
}

export interface TrainerState {
  format: 'rcn-trainer-state';
  version: 1;
  progress: TrainerProgress;
  plateau: PlateauState;
  adam: { step: number; lr: number };
}

const STATE = 'trainer-state.json';
const OPTIM = 'optimizer.npz';

export async function saveTrainingCheckpoint(
  dir: string,
  model: FewShotModel,
  info: CheckpointInfo,
  trainer?: { progress: TrainerProgress; plateau: PlateauState; adam: AdamState },
): Promise<void> {
  const tmp = `${dir}.new`;
  const old = `${dir}.old`;
  await rm(tmp, { recursive: true, force: true });
  await saveCheckpoint(model, tmp, info);
  if (trainer) {
    const files: Record<string, Uint8Array> = {};
    for (const [kind, map] of [
      ['m', trainer.adam.m],
      ['v', trainer.adam.v],
    ] as const) {
      for (const [name, t] of map)
        files[`${kind}/${name}.npy`] = encodeNpy({ dtype: 'float32', shape: t.shape, data: t.data });
    }
    await writeFileAtomic(join(tmp, OPTIM), zipSync(files, { level: 0 }));
    const state: TrainerState = {
      format: 'rcn-trainer-state',
      version: 1,
      progress: trainer.progress,
      plateau: trainer.plateau,
      adam: { step: trainer.adam.step, lr: trainer.adam.lr },
    };
    await writeJsonAtomic(join(tmp, STATE), state);
  }
  await rm(old, { recursive: true, force: true });
  if (existsSync(dir)) await rename(dir, old);
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
}

/** A training checkpoint's progress (its trainer state), without its weights or optimiser state. */
export async function readTrainerProgress(dir: string): Promise<TrainerProgress> {
  const statePath = join(resolveCheckpointDir(dir), STATE);
  return (JSON.parse(await readFile(statePath, 'utf8')) as TrainerState).progress;
}

export async function loadTrainingCheckpoint(dir: string): Promise<{
  weights: WeightMap;
  state: TrainerState;
  adam: AdamState;
}> {
  const from = resolveCheckpointDir(dir);
  const { weights } = await readCheckpoint(from);
  const statePath = join(from, STATE);
  let state: TrainerState;
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as TrainerState;
  } catch (e) {
    throw new Error(
      `${statePath}: cannot read trainer state (${(e as Error).message}); is this a 'latest' checkpoint?`,
    );
  }
  if (state.format !== 'rcn-trainer-state') throw new Error(`${statePath}: not a trainer state file`);
  const arrays = await readNpz(join(from, OPTIM));
  const m: WeightMap = new Map();
  const v: WeightMap = new Map();
  for (const [key, arr] of arrays) {
    const [kind, ...rest] = key.split('/');
    const name = rest.join('/');
    (kind === 'm' ? m : v).set(name, { shape: arr.shape, data: arr.data as Float32Array });
  }
  return { weights, state, adam: { step: state.adam.step, lr: state.adam.lr, m, v } };
}
