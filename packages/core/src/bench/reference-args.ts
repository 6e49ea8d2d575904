/**
 * The command line of `pnpm bench --reference torch` (kept apart from reference.ts so that the bench's
 * entry point can parse it without loading TensorFlow.js).
 */
import { parseArgs } from 'node:util';
import type { BackboneKind } from '../model/config.js';

export interface ReferenceConfig {
  backbone: BackboneKind;
  imageSize: number;
  way: number;
  shot: number;
  query: number;
  /** PyTorch intra-op threads, and our workers. */
  threads: number;
  /** Timed steps per round (after one warm-up step). */
  steps: number;
}

export interface ReferencePlan {
  configs: ReferenceConfig[];
  rounds: number;
}

/** The command-line options of the reference section (`pnpm bench --reference torch [...]`). */
export const REFERENCE_ARG_OPTIONS = {
  reference: { type: 'string' },
  backbone: { type: 'string' },
  'image-size': { type: 'string' },
  threads: { type: 'string' },
  way: { type: 'string' },
  shot: { type: 'string' },
  query: { type: 'string' },
  steps: { type: 'string' },
  rounds: { type: 'string' },
} as const;

/** The table: Conv4 at 32 and 84 px on both cores, 84 px on one, ResNet-12 84 px on both. */
const DEFAULT_SUITE: [BackboneKind, number, number][] = [
  ['conv4', 32, 2],
  ['conv4', 84, 2],
  ['conv4', 84, 1],
  ['resnet12', 84, 2],
];

/** Timed steps per round when not given: about 5-10 s of PyTorch time each on the 2-core machine. */
function defaultSteps(backbone: BackboneKind, size: number): number {
  if (backbone === 'resnet12') return size > 40 ? 2 : 4;
  return size > 40 ? 4 : 10;
}

function positiveInts(flag: string, v: string | undefined): number[] | null {
  if (v === undefined) return null;
  const out = v.split(',').map((s) => Number(s.trim()));
  if (!out.length || out.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--${flag}: expected positive integers separated by commas, got '${v}'`);
  return out;
}

function oneInt(flag: string, v: string | undefined, fallback: number): number {
  const got = positiveInts(flag, v);
  if (got && got.length !== 1) throw new Error(`--${flag}: expected one positive integer, got '${v}'`);
  return got ? got[0] : fallback;
}

/**
 * The plan from the command line: `--reference torch` (the only engine), optional comma lists
 * `--backbone conv4,resnet12 --image-size 32,84 --threads 1,2` (their product; without any of them the
 * default suite), `--way/--shot/--query` (5/1/15), `--steps N` (per round), `--rounds N` (2). Returns null
 * without `--reference`.
 */
export function referencePlan(argv: string[]): ReferencePlan | null {
  const { values } = parseArgs({
    args: argv,
    options: REFERENCE_ARG_OPTIONS,
    strict: false,
    allowPositionals: true,
  });
  const str = (k: keyof typeof REFERENCE_ARG_OPTIONS) => {
    const v = values[k];
    if (v === true) throw new Error(`--${k} needs a value`);
    return v as string | undefined;
  };
  const engine = str('reference');
  if (engine === undefined) return null;
  if (engine !== 'torch') throw new Error(`--reference: only 'torch' is supported, got '${engine}'`);
  const backbones = str('backbone')
    ?.split(',')
    .map((b) => b.trim());
  for (const b of backbones ?? [])
    if (b !== 'conv4' && b !== 'resnet12')
      throw new Error(`--backbone: expected conv4 or resnet12, got '${b}'`);
  const sizes = positiveInts('image-size', str('image-size'));
  const threads = positiveInts('threads', str('threads'));
  const way = oneInt('way', str('way'), 5);
  const shot = oneInt('shot', str('shot'), 1);
  const query = oneInt('query', str('query'), 15);
  const steps = positiveInts('steps', str('steps'));
  if (steps && steps.length !== 1) throw new Error('--steps: expected one positive integer');
  const rounds = oneInt('rounds', str('rounds'), 2);
  const custom = backbones || sizes || threads;
  const triples: [BackboneKind, number, number][] = custom
    ? (backbones ?? ['conv4']).flatMap((b) =>
        (sizes ?? [84]).flatMap((s) =>
          (threads ?? [2]).map((t) => [b, s, t] as [BackboneKind, number, number]),
        ),
      )
    : DEFAULT_SUITE;
  return {
    rounds,
    configs: triples.map(([backbone, imageSize, t]) => ({
      backbone,
      imageSize,
      way,
      shot,
      query,
      threads: t,
      steps: steps ? steps[0] : defaultSteps(backbone, imageSize),
    })),
  };
}
