/**
 * The command line of `pnpm bench --reference torch` (kept apart from reference.ts so that the bench's
 * entry point can parse it without loading TensorFlow.js).
 */
import { parseArgs } from 'node:util';
import { type BackboneKind } from '@rcn/core';

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

/** The step options common to `--reference torch` and `profile`, as given (null: not given). */
export interface StepArgs {
  /** `--reference`'s value. */
  engine?: string;
  backbones: BackboneKind[] | null;
  sizes: number[] | null;
  threads: number[] | null;
  way: number;
  shot: number;
  query: number;
  steps: number | null;
  rounds: number;
}

/**
 * Parses `--reference torch`, comma lists `--backbone conv4,resnet12 --image-size 32,84 --threads 1,2`,
 * `--way/--shot/--query` (5/1/15), `--steps N`, `--rounds N` (2); other arguments are left alone.
 */
export function stepArgs(argv: string[]): StepArgs {
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
  const backbones = str('backbone')
    ?.split(',')
    .map((b) => b.trim());
  for (const b of backbones ?? [])
    if (b !== 'conv4' && b !== 'resnet12')
      throw new Error(`--backbone: expected conv4 or resnet12, got '${b}'`);
  return {
    engine: str('reference'),
    backbones: (backbones as BackboneKind[] | undefined) ?? null,
    sizes: positiveInts('image-size', str('image-size')),
    threads: positiveInts('threads', str('threads')),
    way: oneInt('way', str('way'), 5),
    shot: oneInt('shot', str('shot'), 1),
    query: oneInt('query', str('query'), 15),
    steps: str('steps') === undefined ? null : oneInt('steps', str('steps'), 1),
    rounds: oneInt('rounds', str('rounds'), 2),
  };
}

/**
 * The plan of `--reference torch` (the only engine): the product of the given lists (without any of
 * them, the default suite); null without `--reference`.
 */
export function referencePlan(argv: string[]): ReferencePlan | null {
  const a = stepArgs(argv);
  if (a.engine === undefined) return null;
  if (a.engine !== 'torch') throw new Error(`--reference: only 'torch' is supported, got '${a.engine}'`);
  const custom = a.backbones || a.sizes || a.threads;
  const triples: [BackboneKind, number, number][] = custom
    ? (a.backbones ?? ['conv4']).flatMap((b) =>
        (a.sizes ?? [84]).flatMap((s) =>
          (a.threads ?? [2]).map((t) => [b, s, t] as [BackboneKind, number, number]),
        ),
      )
    : DEFAULT_SUITE;
  return {
    rounds: a.rounds,
    configs: triples.map(([backbone, imageSize, threads]) => ({
      backbone,
      imageSize,
      way: a.way,
      shot: a.shot,
      query: a.query,
      threads,
      steps: a.steps ?? defaultSteps(backbone, imageSize),
    })),
  };
}
