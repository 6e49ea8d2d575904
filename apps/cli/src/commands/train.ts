import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  defaultDataDir,
  defaultRunsDir,
  resolvePaths,
  BACKEND_NAMES,
  discoverDatasets,
  fetchOmniglot,
  formatBackend,
  formatSkipped,
  OMNIGLOT_SCHEMES,
  openDataset,
  type OmniglotScheme,
  initBackend,
  train,
  TrainingAbortedError,
  TrainingDivergedError,
  loadTrainConfig,
  METHODS,
  TRAIN_DEFAULTS,
  TRAIN_FIELDS,
  maxTrainWorkers,
  PlanError,
  type ConfigLayer,
  type FieldName,
  type IntField,
  type LoadedConfig,
  type TrainConfig,
  type TrainConfigInput,
} from '@rcn/core';
import { backendOption, optionalInt as int, optionalNumber as num } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { progressBar, type Bar } from '../progress.js';

interface TrainFlags {
  config?: string;
  method?: string;
  dataset?: string;
  dataDir?: string;
  backbone?: string;
  way?: string;
  shot?: string;
  query?: string;
  valQuery?: string;
  episodes?: string;
  valEvery?: string;
  valEpisodes?: string;
  earlyStop?: string;
  imageSize?: string;
  lr?: string;
  seed?: string;
  workers?: string;
  backend?: string;
  runsDir?: string;
  runId?: string;
  resume?: string;
  augment?: boolean;
  omniglotSplit?: string;
  json?: boolean;
  showConfig?: boolean;
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--config ${path}: cannot read (${(e as Error).message})`);
  }
  try {
    const v = parseYaml(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new Error('expected a mapping of options');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`--config ${path}: ${(e as Error).message}`);
  }
}

/** A dataset given as a folder path (rather than a name under the data folder). */
function isDataPath(d: string): boolean {
  return d.includes('/') || d.includes('\\') || d.startsWith('.');
}

/** `--omniglot-split`: the scheme's train and validation splits (recorded in the run's config.json). */
function omniglotScheme(v: string | undefined): Pick<TrainConfigInput, 'trainSplit' | 'valSplit'> {
  if (v === undefined) return {};
  if (!(v in OMNIGLOT_SCHEMES))
    throw new UsageError(
      `--omniglot-split: expected ${Object.keys(OMNIGLOT_SCHEMES).join(' or ')}, got '${v}'`,
    );
  const s = OMNIGLOT_SCHEMES[v as OmniglotScheme];
  return { trainSplit: s.train, valSplit: s.val };
}

/** The flag that sets each configuration field (the rest come from `--config` only). */
const FLAG_OF: Record<string, string> = {
  method: '--method',
  dataset: '--dataset',
  dataDir: '--data-dir',
  'model.backbone': '--backbone',
  'model.imageSize': '--image-size',
  way: '--way',
  shot: '--shot',
  query: '--query',
  valQuery: '--val-query',
  episodes: '--episodes',
  valEvery: '--val-every',
  valEpisodes: '--val-episodes',
  earlyStop: '--early-stop',
  lr: '--lr',
  seed: '--seed',
  workers: '--workers',
  backend: '--backend',
  augment: '--no-augment',
  trainSplit: '--omniglot-split',
  valSplit: '--omniglot-split',
};

/**
 * How a plan's fix names a field: its flag where one sets it, else its key in a `--config` file (the split
 * names: `--omniglot-split` chooses Omniglot's schemes only).
 */
export const flagName: FieldName = (field, value) => {
  const flag =
    field === 'trainSplit' || field === 'valSplit' || field === 'augment' ? undefined : FLAG_OF[field];
  if (flag) return value === undefined ? flag : `${flag} ${value}`;
  return value === undefined ? `${field} in --config` : `${field}: ${value} in --config`;
};

/** The flags' layer: only what was given, as the schema's fields (numbers checked to be numbers). */
function flagValues(f: TrainFlags): Record<string, unknown> {
  return {
    method: f.method,
    // A folder path is kept absolute, so that eval and explain reopen the same folder from anywhere.
    dataset: f.dataset && (isDataPath(f.dataset) ? resolve(f.dataset) : f.dataset),
    dataDir: f.dataDir,
    model: { backbone: f.backbone, imageSize: int(f.imageSize, '--image-size') },
    way: int(f.way, '--way'),
    shot: int(f.shot, '--shot'),
    query: int(f.query, '--query'),
    valQuery: int(f.valQuery, '--val-query'),
    episodes: int(f.episodes, '--episodes'),
    valEvery: int(f.valEvery, '--val-every'),
    valEpisodes: int(f.valEpisodes, '--val-episodes'),
    earlyStop: int(f.earlyStop, '--early-stop'),
    lr: num(f.lr, '--lr'),
    seed: int(f.seed, '--seed'),
    workers: int(f.workers, '--workers'),
    backend: f.backend,
    augment: f.augment === false ? false : undefined,
    ...omniglotScheme(f.omniglotSplit),
  };
}

/**
 * The documented precedence: flags > environment (RCN_BACKEND) > `--config` file > the schema's defaults.
 * Errors name the flag, the file and key, or the variable that set the bad value; `sources` says which
 * layer set each value.
 */
export async function loadTrainFlags(
  f: TrainFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ value: TrainConfig; sources: Record<string, string> }> {
  const file = f.config ? await readConfigFile(f.config) : {};
  const layers: ConfigLayer[] = [
    { kind: 'file', values: file, name: (field) => `${f.config}: ${field}` },
    {
      kind: 'env',
      values: { backend: env.RCN_BACKEND || undefined },
      name: (field) => `${field} (RCN_BACKEND)`,
    },
    { kind: 'flag', values: flagValues(f), name: (field) => FLAG_OF[field] ?? field },
  ];
  let loaded: LoadedConfig<TrainConfig>;
  try {
    loaded = loadTrainConfig(layers);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  // Folders follow core's one order: --data-dir, RCN_DATA_DIR, the config file, the defaults.
  const dataDir = resolvePaths({
    flags: { dataDir: f.dataDir },
    config: { dataDir: typeof file.dataDir === 'string' ? file.dataDir : undefined },
    env,
  }).dataDir;
  return {
    value: { ...loaded.value, dataDir: dataDir.path },
    sources: { ...loaded.sources, dataDir: dataDir.source },
  };
}

/** Config file, then the environment, then flags on top; the schema validates and names any bad field. */
export async function resolveTrainConfig(f: TrainFlags): Promise<TrainConfig> {
  return (await loadTrainFlags(f)).value;
}

/** Help text of an integer option, from the schema: what it is, its default and its bounds. */
function intHelp(field: keyof typeof TRAIN_FIELDS, def?: string): string {
  const { doc, min, max } = TRAIN_FIELDS[field];
  def ??= String((TRAIN_FIELDS[field] as IntField).default);
  const bound = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
  return `${doc} (default ${def}; ${bound})`;
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train a few-shot model episodically (default: RCN Conv4, 5-way 1-shot, Omniglot)')
    .option(
      '--config <file>',
      'YAML or JSON file of training options (precedence: flags > env RCN_BACKEND > this file > defaults; unknown keys are refused)',
    )
    .option('--method <m>', `${METHODS.join(' | ')} (default ${TRAIN_DEFAULTS.method})`)
    .option(
      '--dataset <name>',
      `dataset name as listed by \`datasets\`, or a folder path (one sub-folder per class) (default ${TRAIN_DEFAULTS.dataset})`,
    )
    .option('--data-dir <dir>', 'data folder (env RCN_DATA_DIR)')
    .option('--backbone <b>', `conv4 | resnet12 (default ${TRAIN_DEFAULTS.backbone})`)
    .option('--way <n>', intHelp('way'))
    .option('--shot <k>', intHelp('shot'))
    .option('--query <q>', intHelp('query'))
    .option('--val-query <q>', intHelp('valQuery'))
    .option('--episodes <n>', intHelp('episodes'))
    .option('--val-every <n>', intHelp('valEvery'))
    .option('--val-episodes <n>', intHelp('valEpisodes'))
    .option('--early-stop <n>', intHelp('earlyStop'))
    .option('--image-size <px>', intHelp('imageSize', "the dataset's"))
    .option('--lr <lr>', `Adam learning rate (default ${TRAIN_DEFAULTS.lr}; > 0)`)
    .option('--seed <s>', intHelp('seed'))
    .option(
      '--workers <n>',
      `${TRAIN_FIELDS.workers.doc} (default ${TRAIN_FIELDS.workers.default}; 1..${maxTrainWorkers()} here, one per core)`,
    )
    .option(
      '--backend <name>',
      `${BACKEND_NAMES.join(' | ')} (env RCN_BACKEND; default ${TRAIN_DEFAULTS.backend})`,
    )
    .option('--runs-dir <dir>', 'where run directories go (env RCN_RUNS_DIR; default <repo>/runs)')
    .option('--run-id <id>', 'name of the run directory')
    .option(
      '--resume <runDir>',
      'continue a run from its latest checkpoint (other options ignored, except --episodes)',
    )
    .option('--no-augment', 'no augmentation of training queries')
    .option(
      '--omniglot-split <scheme>',
      'vinyals (default: train/val/test) | lake (train on the 30 background alphabets less every 10th character, held out for validation; test on the 20 evaluation alphabets)',
    )
    .option('--json', 'JSON lines on stdout: every metric event, then the run summary')
    .option('--show-config', 'print the resolved configuration and which layer set each value, then exit')
    .action(async (f: TrainFlags) => {
      // Signals are honoured from the first moment: during start-up (backend, datasets, workers) they
      // stop at once with nothing written; once training runs, at the end of the current step.
      const ac = new AbortController();
      const ui: { bar: Bar | null } = { bar: null };
      const onSignal = (sig: string) => {
        if (ac.signal.aborted) process.exit(EXIT.interrupted);
        // On a line of its own, not glued to the progress bar.
        const line = `${sig}: finishing the current step and saving a checkpoint (again to quit at once)`;
        if (ui.bar) ui.bar.note(line);
        else console.error(line);
        ac.abort();
      };
      // SIGHUP: the terminal closed (an ssh session dropped); the run is saved as on Ctrl-C.
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => onSignal(sig));
      const startUp = async <T>(p: Promise<T>): Promise<T> => {
        const r = await p;
        if (ac.signal.aborted) throw new TrainingAbortedError();
        return r;
      };
      try {
        await trainAction(f, ac.signal, startUp, ui);
      } catch (e) {
        if (e instanceof TrainingAbortedError) {
          console.error(`stopped: ${e.message}`);
          process.exitCode = EXIT.interrupted;
          return;
        }
        throw e;
      }
    });
}

async function trainAction(
  f: TrainFlags,
  signal: AbortSignal,
  startUp: <T>(p: Promise<T>) => Promise<T>,
  ui: { bar: Bar | null },
): Promise<void> {
  if (f.showConfig) {
    const { value, sources } = await loadTrainFlags(f);
    console.log(JSON.stringify({ config: value, sources }, null, 2));
    return;
  }
  const cfg = f.resume ? null : await resolveTrainConfig(f);
  const backend = await startUp(initBackend(cfg?.backend ?? backendOption(f.backend)));
  if (!f.json) console.error(`backend: ${formatBackend(backend)}`);
  if (cfg) {
    const dataDir = cfg.dataDir ?? defaultDataDir();
    // Discovery only: counting every dataset would let one broken dataset stop training on another.
    let found = await startUp(discoverDatasets(dataDir));
    if (!found.some((d) => d.name === cfg.dataset) && cfg.dataset === 'omniglot') {
      // The default job: fetch Omniglot into the data folder where the network allows; offline,
      // fetchOmniglot's error says which files to place where.
      console.error(`omniglot not found in ${dataDir}: fetching the official archives`);
      await startUp(fetchOmniglot({ dataDir, log: (l) => console.error(l) }));
      found = await discoverDatasets(dataDir);
    }
    const entry = found.find((d) => d.name === cfg.dataset);
    if (isDataPath(cfg.dataset) || entry?.format === 'image-folder') {
      if (!entry && !existsSync(cfg.dataset))
        throw new UsageError(`--dataset: no folder ${cfg.dataset} (one sub-folder per class)`);
      // Files an image folder does not read, by path or by name alike (as `datasets` lists them).
      const skipped = (await startUp(openDataset(cfg.dataset, 'all', { dataDir }))).skipped;
      if (skipped) console.error(`warning: ${cfg.dataset}: ${formatSkipped(skipped)}`);
    } else if (!entry) {
      throw new UsageError(
        `dataset '${cfg.dataset}' not found in ${dataDir} (found: ${found.map((d) => d.name).join(', ') || 'none'}). ` +
          'Set --data-dir or RCN_DATA_DIR, or give a folder path.',
      );
    }
  }
  const total = cfg?.episodes ?? int(f.episodes, '--episodes') ?? 0;
  // Progress goes to stderr in every mode; --json only concerns stdout.
  const bar = progressBar('train', total);
  ui.bar = bar;
  let lastVal = '';
  try {
    const summary = await train(cfg, {
      runsDir: f.runsDir ?? defaultRunsDir(),
      runId: f.runId,
      resumeDir: f.resume,
      episodes: f.resume ? int(f.episodes, '--episodes') : undefined,
      signal,
      onEvent: (e) => {
        if (f.json) console.log(JSON.stringify(e));
        if (e.type === 'val') lastVal = `${(100 * e.accuracy).toFixed(2)}±${(100 * e.ci95).toFixed(2)}%`;
      },
      onProgress: (p) => {
        bar.setTotal(p.total);
        bar.update(
          p.episode,
          p.phase === 'validate'
            ? { validating: `running acc ${(100 * p.accuracy).toFixed(1)}%`, val: lastVal || '-' }
            : {
                loss: p.loss.toFixed(4),
                acc: `${(100 * p.accuracy).toFixed(1)}%`,
                'ep/s': p.episodesPerSecond.toFixed(2),
                val: lastVal || '-',
              },
          // The trainer's estimate counts from this process's first step: right after --resume too.
          p.phase === 'train' ? p.etaSeconds : undefined,
        );
      },
    });
    bar.stop();
    if (f.json) console.log(JSON.stringify({ type: 'summary', ...summary }));
    else {
      const early =
        summary.stopReason === 'early-stop'
          ? ` (stopped early: no new best in ${summary.config.earlyStop} validations)`
          : '';
      console.log(`run ${summary.id}: ${summary.status} after ${summary.episode} episodes${early}`);
      if (summary.bestValAccuracy !== null) {
        console.log(
          `best validation accuracy ${(100 * summary.bestValAccuracy).toFixed(2)} ± ${(100 * (summary.bestValCi95 ?? 0)).toFixed(2)} % at episode ${summary.bestEpisode}`,
        );
      }
      console.log(`run directory: ${summary.dir}`);
    }
    process.exitCode = summary.status === 'interrupted' ? EXIT.interrupted : EXIT.ok;
  } catch (e) {
    bar.stop();
    // The plan (splits, episode shapes, memory) is checked before the first episode: a usage error.
    if (e instanceof PlanError) throw new UsageError(e.format(flagName));
    if (e instanceof TrainingDivergedError) {
      console.error(`error: ${e.message}`);
      process.exitCode = EXIT.diverged;
      return;
    }
    throw e;
  }
}
