/**
 * `explain`, `parts`, `faithfulness`: Region Activation Maps of an episode, a class's prototypical parts,
 * and deletion / insertion faithfulness. Thin: every piece of logic is in @rcn/core (explain/).
 */
import type { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  ATTRIBUTION_METHODS,
  explainEpisode,
  explanationJson,
  formatBackend,
  formatFaithfulness,
  initBackend,
  intFieldHelp,
  loadExplainContext,
  measureFaithfulness,
  parseEpisodeId,
  PARTS_FIELDS as P,
  PARTS_SPLIT,
  prototypicalParts,
  renderEpisodePanel,
  renderPairPng,
  renderPartsGallery,
  writeJsonAtomic,
  type AttributionMethod,
  type ExplainContext,
} from '@rcn/core';
import { backendOption, intFlag as int } from '../args.js';
import { UsageError } from '../exit-codes.js';
import { checkpointOrZoo } from '../zoo-default.js';
import { progressBar } from '../progress.js';

interface CommonFlags {
  checkpoint?: string;
  dataDir?: string;
  backend?: string;
}

async function open(f: CommonFlags, dataset?: string): Promise<ExplainContext> {
  const backend = await initBackend(backendOption(f.backend));
  console.error(`backend: ${formatBackend(backend)}`);
  return loadExplainContext(await checkpointOrZoo(f.checkpoint, { dataset: dataset ?? 'omniglot' }), {
    dataDir: f.dataDir,
    dataset,
  });
}

const common = (cmd: Command): Command =>
  cmd
    .option(
      '--checkpoint <ref>',
      "checkpoint directory, run directory, <runId>[/best|latest] or zoo model (default: the zoo's model for the dataset)",
    )
    .option('--data-dir <dir>', 'data folder (env RCN_DATA_DIR)')
    .option('--backend <name>', 'auto | tensorflow-gpu | webgpu | tensorflow | wasm | cpu (env RCN_BACKEND)');

/** A parts flag: core's default when absent, else an integer within core's bounds (PARTS_FIELDS). */
function partsInt(v: string | undefined, flag: string, field: { default: number; min: number; max: number }) {
  if (v === undefined) return field.default;
  const n = int(v, flag, field.min);
  if (n > field.max) throw new UsageError(`${flag}: ${n} is over the limit of ${field.max}`);
  return n;
}

export function registerExplainCommands(program: Command): void {
  common(
    program
      .command('explain')
      .description(
        'Region Activation Maps of one episode: the panel PNG, a PNG per (query, support) pair, and JSON',
      ),
  )
    .requiredOption('--episode <id>', 'episode id dataset:split:way:shot:query:seed:index')
    .option('--out <dir>', 'output folder (default: explanations/<episode id> in the checkpoint)')
    .option('--no-pairs', 'skip the per-pair PNGs')
    .action(async (f: CommonFlags & { episode: string; out?: string; pairs: boolean }) => {
      let spec;
      try {
        spec = parseEpisodeId(f.episode);
      } catch (e) {
        throw new UsageError(`--episode: ${(e as Error).message}`);
      }
      const ctx = await open(f, spec.dataset);
      try {
        const ds = await ctx.openSplit(spec.split);
        const x = await explainEpisode(ctx.model, ds, f.episode);
        const out = resolve(f.out ?? join(ctx.outputDir, 'explanations', f.episode.replaceAll(':', '_')));
        await mkdir(out, { recursive: true });
        await writeFile(join(out, 'panel.png'), await renderEpisodePanel(x));
        let pairs = 0;
        if (f.pairs) {
          await mkdir(join(out, 'pairs'), { recursive: true });
          for (let q = 0; q < x.ram.queries; q++)
            for (let s = 0; s < x.ram.way * x.ram.shot; s++) {
              await writeFile(join(out, 'pairs', `q${q}-s${s}.png`), await renderPairPng(x, q, s));
              pairs++;
            }
        }
        await writeJsonAtomic(join(out, 'ram.json'), {
          checkpoint: ctx.checkpointDir,
          ...explanationJson(x),
        });
        const correct = x.predictions.filter((p, q) => x.ram.labels?.[q] === p).length;
        console.log(`${f.episode}: ${correct}/${x.ram.queries} queries correct`);
        console.log(
          `wrote ${join(out, 'panel.png')}, ${pairs} pair PNGs in ${join(out, 'pairs')}, ${join(out, 'ram.json')}`,
        );
      } finally {
        ctx.dispose();
      }
    });

  common(
    program
      .command('parts')
      .description("a class's prototypical parts over many episodes: gallery PNG and JSON"),
  )
    .requiredOption('--class <id>', 'class id (as in the dataset split, e.g. Greek/character03@rot90)')
    .option('--dataset <name>', "dataset (default: the checkpoint's)")
    .option('--split <s>', 'split', PARTS_SPLIT)
    .option('--episodes <n>', intFieldHelp(P.episodes))
    .option('--way <n>', intFieldHelp(P.way))
    .option('--shot <k>', intFieldHelp(P.shot))
    .option('--query <q>', intFieldHelp(P.query))
    .option('--parts <n>', intFieldHelp(P.parts))
    .option('--top <n>', intFieldHelp(P.topRegions))
    .option('--seed <s>', intFieldHelp(P.seed))
    .option('--out <dir>', 'output folder (default: parts/ in the checkpoint)')
    .action(
      async (
        f: CommonFlags & {
          class: string;
          dataset?: string;
          split: string;
          episodes?: string;
          way?: string;
          shot?: string;
          query?: string;
          parts?: string;
          top?: string;
          seed?: string;
          out?: string;
        },
      ) => {
        const ctx = await open(f, f.dataset);
        const episodes = partsInt(f.episodes, '--episodes', P.episodes);
        const bar = progressBar('parts', episodes);
        try {
          const ds = await ctx.openSplit(f.split);
          const res = await prototypicalParts(ctx.model, ds, {
            classId: f.class,
            episodes,
            way: partsInt(f.way, '--way', P.way),
            shot: partsInt(f.shot, '--shot', P.shot),
            query: partsInt(f.query, '--query', P.query),
            parts: partsInt(f.parts, '--parts', P.parts),
            topRegions: partsInt(f.top, '--top', P.topRegions),
            seed: partsInt(f.seed, '--seed', P.seed),
            onProgress: (done) => bar.update(done, {}),
          });
          bar.stop();
          const out = resolve(f.out ?? join(ctx.outputDir, 'parts'));
          await mkdir(out, { recursive: true });
          const base = `${f.split}-${f.class.replace(/[^A-Za-z0-9._-]+/g, '_')}`;
          await writeFile(join(out, `${base}.png`), await renderPartsGallery(ds, res, ctx.geometry));
          await writeJsonAtomic(join(out, `${base}.json`), { checkpoint: ctx.checkpointDir, ...res });
          for (const p of res.parts)
            console.log(
              `part ${p.index + 1}: decides ${(100 * p.frequency).toFixed(1)}% of ${res.correctDecisions} correct decisions`,
            );
          console.log(`wrote ${join(out, `${base}.png`)} and ${join(out, `${base}.json`)}`);
        } finally {
          bar.stop();
          ctx.dispose();
        }
      },
    );

  common(
    program
      .command('faithfulness')
      .description('deletion / insertion AUCs of the RAM against a random order and Grad-CAM'),
  )
    .option('--dataset <name>', "dataset (default: the checkpoint's)")
    .option('--split <s>', 'split', 'test')
    .option('--episodes <n>', 'episodes', '50')
    .option('--way <n>', 'classes per episode', '5')
    .option('--shot <k>', 'support images per class', '1')
    .option('--query <q>', 'queries per class', '5')
    .option('--queries-per-episode <n>', 'queries measured per episode, drawn with the seed', '1')
    .option('--steps <n>', 'curve steps (default: one region at a time)')
    .option('--side <s>', 'perturb the query or the supports of its class: query | support', 'query')
    .option(
      '--methods <list>',
      `comma-separated, of ${ATTRIBUTION_METHODS.join(', ')}`,
      ATTRIBUTION_METHODS.join(','),
    )
    .option('--seed <s>', 'seed of the episode stream', '0')
    .option('--json', 'print the report as JSON')
    .action(
      async (
        f: CommonFlags & {
          dataset?: string;
          split: string;
          episodes: string;
          way: string;
          shot: string;
          query: string;
          queriesPerEpisode: string;
          steps?: string;
          side: string;
          methods: string;
          seed: string;
          json?: boolean;
        },
      ) => {
        if (f.side !== 'query' && f.side !== 'support')
          throw new UsageError(`--side: expected query or support, got '${f.side}'`);
        const methods = f.methods.split(',').map((m) => m.trim()) as AttributionMethod[];
        for (const m of methods)
          if (!ATTRIBUTION_METHODS.includes(m))
            throw new UsageError(`--methods: unknown '${m}' (of ${ATTRIBUTION_METHODS.join(', ')})`);
        const ctx = await open(f, f.dataset);
        const episodes = int(f.episodes, '--episodes');
        const bar = progressBar('faithfulness', episodes);
        try {
          const ds = await ctx.openSplit(f.split);
          const rep = await measureFaithfulness(ctx.model, ds, {
            split: f.split,
            episodes,
            way: int(f.way, '--way', 2),
            shot: int(f.shot, '--shot'),
            query: int(f.query, '--query'),
            seed: int(f.seed, '--seed', 0),
            side: f.side,
            methods,
            queriesPerEpisode: int(f.queriesPerEpisode, '--queries-per-episode'),
            steps: f.steps ? int(f.steps, '--steps') : undefined,
            onProgress: (done) => bar.update(done, {}),
          });
          bar.stop();
          if (f.json) console.log(JSON.stringify({ checkpoint: ctx.checkpointDir, ...rep }, null, 2));
          else console.log(formatFaithfulness(rep));
        } finally {
          bar.stop();
          ctx.dispose();
        }
      },
    );
}
