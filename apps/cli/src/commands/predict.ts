/**
 * `predict`: classify your own images against your own support images with a trained checkpoint, with
 * the checkpoint's input treatment, a warning for images unlike its training data, and optionally the
 * Region Activation Maps. Thin: the logic is in @rcn/core (predict/, data/preprocess.ts).
 */
import type { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  explainFiles,
  explanationJson,
  formatBackend,
  formatPredictions,
  formatSkipped,
  initBackend,
  Predictor,
  RCN,
  readQueryInputs,
  readSupportFolder,
  renderEpisodePanel,
  renderPairPng,
  writeJsonAtomic,
} from '@rcn/core';
import { backendOption } from '../args.js';
import { UsageError } from '../exit-codes.js';
import { checkpointOrZoo } from '../zoo-default.js';

interface PredictFlags {
  checkpoint?: string;
  support: string;
  query: string[];
  explain?: string;
  pairs: boolean;
  bn?: string;
  backend?: string;
  json?: boolean;
}

/** A run directory means its best checkpoint. */
export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description(
      'classify image files against support images (one sub-folder per class) with a checkpoint; --explain writes region maps',
    )
    .option(
      '--checkpoint <ref>',
      "checkpoint directory, run directory (its best checkpoint), <runId> or zoo model (default: the zoo's model for images like the supports)",
    )
    .requiredOption(
      '--support <dir>',
      'folder with one sub-folder of images per class, the same number in each',
    )
    .requiredOption(
      '--query <paths...>',
      'image files or folders (a folder of class folders gives the queries true classes)',
    )
    .option('--explain <dir>', 'write the RAM panel, per-pair overlays and JSON here (RCN only)')
    .option('--no-pairs', 'with --explain: skip the per-pair PNGs')
    .option(
      '--bn <mode>',
      "BatchNorm statistics: batch (the reference's: answers depend a little on which images share a batch) | running (default: the checkpoint's)",
    )
    .option('--backend <name>', 'auto | tensorflow-gpu | tensorflow | wasm | cpu (env RCN_BACKEND)')
    .option('--json', 'print the predictions as JSON')
    .action(async (f: PredictFlags) => {
      const support = await readSupportFolder(f.support);
      const { files, skipped } = await readQueryInputs(f.query);
      for (const [what, s] of [
        ['support', support.skipped],
        ['query', skipped],
      ] as const)
        if (Object.keys(s).length) console.error(`warning: ${what}: ${formatSkipped(s)}`);
      const backend = await initBackend(backendOption(f.backend));
      if (!f.json) console.error(`backend: ${formatBackend(backend)}`);
      if (f.bn && f.bn !== 'batch' && f.bn !== 'running')
        throw new UsageError(`--bn: expected batch or running, got '${f.bn}'`);
      const checkpoint = await checkpointOrZoo(f.checkpoint, { imageFile: support.files[0]?.path });
      const predictor = await Predictor.open(checkpoint, {
        override: f.bn ? { bnInference: f.bn as 'batch' | 'running' } : {},
      });
      const { metadata, method, dir: ckDir } = predictor.checkpoint;
      try {
        if (f.explain && method !== 'rcn')
          throw new UsageError(`--explain: a '${method}' checkpoint; region maps need an RCN`);
        const spec = predictor.input;
        if (!f.json)
          console.error(
            `input: ${spec.channels === 1 ? 'grey' : 'RGB'} ${spec.size}x${spec.size} (${spec.resize}), normalised as ${metadata.dataset ?? 'the checkpoint'}`,
          );
        const { model } = predictor.checkpoint;
        const r =
          f.explain && model instanceof RCN
            ? await explainFiles(model, spec, support, files)
            : { ...(await predictor.files(support, files)), explanations: undefined };
        const odd = [
          ...r.supportWarnings,
          ...r.queries.filter((q) => q.warning).map((q) => ({ file: q.file, warning: q.warning! })),
        ];
        if (odd.length)
          console.error(
            `warning: ${odd.length} of ${support.files.length + files.length} images look unlike the training data of this checkpoint (${metadata.dataset ?? '?'}); ` +
              `its answers on them may mean little. First: ${odd[0].file}: ${odd[0].warning}`,
          );
        const { explanations, ...plain } = r;
        if (f.json) console.log(JSON.stringify({ checkpoint: ckDir, method, ...plain }, null, 2));
        else console.log(formatPredictions(r));
        if (f.explain && explanations) {
          const out = resolve(f.explain);
          await mkdir(out, { recursive: true });
          let pairs = 0;
          for (const [k, x] of explanations.entries()) {
            await writeFile(join(out, `panel-${k + 1}.png`), await renderEpisodePanel(x));
            await writeJsonAtomic(join(out, `ram-${k + 1}.json`), {
              checkpoint: ckDir,
              ...explanationJson(x),
            });
            if (!f.pairs) continue;
            await mkdir(join(out, 'pairs'), { recursive: true });
            for (let q = 0; q < x.ram.queries; q++)
              for (let s = 0; s < x.ram.way * x.ram.shot; s++) {
                await writeFile(
                  join(out, 'pairs', `q${x.episode.spec.index + q}-s${s}.png`),
                  await renderPairPng(x, q, s),
                );
                pairs++;
              }
          }
          console.error(`wrote ${explanations.length} panel(s), ${pairs} pair PNGs and RAM JSON in ${out}`);
        }
      } finally {
        predictor.dispose();
      }
    });
}
