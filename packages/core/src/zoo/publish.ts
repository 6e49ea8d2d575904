/**
 * Publishing a finished run into the zoo: its best validation checkpoint, copied into `zoo/<name>/`, with a
 * card built from the run's own records (configuration, metrics, status, test reports, attempts) and a
 * fixed check computed from the copied weights. The folder is written whole and swapped in by rename.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { initBackend, parseBackendName } from '../backend/index.js';
import { openCheckpoint, resolveModelConfig } from '../model/index.js';
import { RunDir, type MetricEvent } from '../train/index.js';
import { writeZooCard, type ZooCard, type ZooEvaluation } from './card.js';
import { runZooCheck } from './check.js';
import { renderZooCardMarkdown, renderZooCurveSvg, ZOO_CURVE_FILE, ZOO_README_FILE } from './render.js';

/** The dataset's terms, carried with every model trained on it. */
const LICENCES: Record<string, string> = {
  omniglot:
    'Trained on Omniglot (Brenden Lake, MIT licence); cite Lake, Salakhutdinov and Tenenbaum, Science 2015.',
  'tiny-imagenet-32':
    'Trained on Tiny-ImageNet images (a subset of ImageNet): ImageNet terms, non-commercial research and education only.',
};

export interface PublishZooOptions {
  /** The finished run (its `checkpoints/best` is published). */
  runDir: string;
  name: string;
  zooDir: string;
  /** The exact command that trained the run, from the repository root. */
  command: string;
  title?: string;
  dataDir?: string;
  /** The fixed check's episodes: default 10 episodes of 5 queries per class, seed 1000, the training way/shot. */
  check?: { episodes?: number; query?: number; seed?: number };
  /** The backend the check runs on, recorded on the card. */
  backend: string;
}

/** This machine, as cards state it. */
export function describeMachine(): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpu}, ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

type ValEvent = Extract<MetricEvent, { type: 'val' }>;

/** Machines named by the run's attempts log (every working period that trained it), else none. */
async function attemptMachines(runDir: string): Promise<string[]> {
  const path = new RunDir(runDir).attemptsPath;
  if (!existsSync(path)) return [];
  const machines = new Set<string>();
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    try {
      const e = JSON.parse(line) as { event?: string; machine?: string };
      if (e.event === 'start' && e.machine) machines.add(e.machine);
    } catch {
      // a torn last line
    }
  }
  return [...machines];
}

export async function publishZooModel(opts: PublishZooOptions): Promise<ZooCard> {
  const run = new RunDir(opts.runDir);
  const cfg = await run.config();
  const status = await run.status();
  if (status?.status !== 'finished')
    throw new Error(
      `${opts.runDir}: the run is ${status?.status ?? 'not started'}; only finished runs are published`,
    );
  const metrics = await run.metrics();
  const vals = metrics.filter((m): m is ValEvent => m.type === 'val');
  const startedAt = Date.parse(status.startedAt);
  const bnInference = resolveModelConfig(cfg.model).bnInference;
  const test: ZooEvaluation[] = [];
  for (const { name, report: r } of await run.evaluations()) {
    if (!name.startsWith('best-')) continue;
    test.push({
      split: String(r.split),
      way: Number(r.way),
      shot: Number(r.shot),
      query: Number(r.query),
      episodes: Number(r.episodes),
      seed: Number(r.seed),
      withinGroup: r.withinGroup === true,
      bnInference: r.bnInference === 'running' ? 'running' : 'batch',
      accuracy: Number(r.accuracy),
      ci95: Number(r.ci95),
    });
  }
  if (!test.length)
    throw new Error(`${opts.runDir}: no test evaluation of checkpoints/best to put on the card`);
  const testSplit = test[0].split;

  // The check runs the model here: in a process that has not chosen a backend yet (the campaign's main
  // thread trains in workers), this one computes it.
  await initBackend(parseBackendName(opts.backend));
  const final = join(opts.zooDir, opts.name);
  const tmp = `${final}.new`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(opts.zooDir, { recursive: true });
  await cp(run.bestDir, tmp, { recursive: true });
  try {
    const ck = await openCheckpoint(tmp);
    let check;
    try {
      check = await runZooCheck(
        ck,
        {
          split: testSplit,
          way: cfg.way,
          shot: cfg.shot,
          query: opts.check?.query ?? 5,
          episodes: opts.check?.episodes ?? 10,
          seed: opts.check?.seed ?? 1000,
        },
        { dataDir: opts.dataDir ?? cfg.dataDir },
      );
    } finally {
      ck.dispose();
    }
    const machines = await attemptMachines(opts.runDir);
    const card: ZooCard = {
      format: 'rcn-zoo-card',
      version: 1,
      name: opts.name,
      title:
        opts.title ??
        `${cfg.method.toUpperCase()} ${cfg.model.backbone ?? 'conv4'} on ${cfg.dataset}, trained ${cfg.way}-way ${cfg.shot}-shot`,
      method: cfg.method,
      backbone: (cfg.model.backbone ?? 'conv4') as ZooCard['backbone'],
      dataset: cfg.dataset,
      imageSize: ck.model.config.imageSize,
      splits: { train: cfg.trainSplit, val: cfg.valSplit, test: testSplit },
      training: {
        way: cfg.way,
        shot: cfg.shot,
        query: cfg.query,
        valQuery: cfg.valQuery,
        valEvery: cfg.valEvery,
        valEpisodes: cfg.valEpisodes,
        lr: cfg.lr,
        lrFactor: cfg.lrFactor,
        lrPatience: cfg.lrPatience,
        earlyStop: cfg.earlyStop ?? 0,
        augment: cfg.augment,
        seed: cfg.seed,
        plannedEpisodes: cfg.episodes,
        episodes: status.episode,
        bestEpisode: status.bestEpisode ?? status.episode,
        stopReason: status.stopReason ?? null,
        wallSeconds: status.elapsedSeconds ?? (Date.parse(status.updatedAt) - startedAt) / 1000,
      },
      machine: machines.length ? machines.join('; ') : describeMachine(),
      backend: opts.backend,
      command: opts.command,
      createdAt: new Date().toISOString(),
      validation: vals.map((v) => ({
        episode: v.episode,
        // Runs recorded before elapsedSeconds existed: time since the run started (includes any pauses).
        seconds: v.elapsedSeconds ?? (Date.parse(v.time) - startedAt) / 1000,
        accuracy: v.accuracy,
        ci95: v.ci95,
        lr: v.lr,
      })),
      test: test.filter((t) => t.bnInference === bnInference),
      check,
      licence: LICENCES[cfg.dataset] ?? `Trained on ${cfg.dataset}: see that dataset's licence.`,
    };
    await writeZooCard(tmp, card);
    await writeFile(join(tmp, ZOO_CURVE_FILE), renderZooCurveSvg(card));
    await writeFile(join(tmp, ZOO_README_FILE), renderZooCardMarkdown(card));
    const old = `${final}.old`;
    await rm(old, { recursive: true, force: true });
    if (existsSync(final)) await rename(final, old);
    await rename(tmp, final);
    await rm(old, { recursive: true, force: true });
    return card;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
