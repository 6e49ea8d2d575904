import type { Command } from 'commander';
import {
  defaultDataDir,
  fetchOmniglot,
  findDatasets,
  findFolderDataset,
  formatSkipped,
  type DatasetEntry,
} from '@rcn/core';

/** One dataset as the text listing shows it: format, path, counts per split, and what was not read. */
function printEntry(d: DatasetEntry): void {
  console.log(`\n${d.name}  (${d.format})  ${d.path}`);
  if (d.error) console.log(`  error: ${d.error}`);
  for (const s of d.summary ?? [])
    console.log(
      `  ${s.split.padEnd(11)} ${String(s.classes).padStart(6)} classes ${String(s.images).padStart(8)} images`,
    );
  if (d.note) console.log(`  note: ${d.note}`);
  if (d.skipped) console.log(`  warning: ${formatSkipped(d.skipped)}`);
}

export function registerDatasetsCommands(program: Command): void {
  program
    .command('datasets')
    .description(
      'list the datasets found in the data folder (or the image folders given by path, as train --dataset takes them), with splits, class and image counts, path, and the files not read',
    )
    .argument('[folders...]', 'folders of class folders to list instead of the data folder')
    .option(
      '--data-dir <dir>',
      'data folder (env RCN_DATA_DIR; default <repo>/../shared/data, else ~/.cache/rcn-studio/data)',
    )
    .option('--json', 'machine-readable output')
    .action(async (folders: string[], opts: { dataDir?: string; json?: boolean }) => {
      if (folders.length) {
        const found = await Promise.all(folders.map((f) => findFolderDataset(f)));
        if (opts.json) console.log(JSON.stringify({ datasets: found }, null, 2));
        else found.forEach(printEntry);
        return;
      }
      const dataDir = opts.dataDir ?? defaultDataDir();
      const found = await findDatasets(dataDir);
      if (opts.json) {
        console.log(JSON.stringify({ dataDir, datasets: found }, null, 2));
        return;
      }
      console.log(`data folder: ${dataDir}`);
      if (!found.length) {
        console.log('no datasets found; `pnpm cli data fetch omniglot` downloads Omniglot');
        return;
      }
      found.forEach(printEntry);
    });

  const data = program.command('data').description('manage datasets');
  data
    .command('fetch')
    .description('download and unpack a dataset into the data folder (only omniglot can be fetched)')
    .argument('<dataset>', 'omniglot')
    .option('--data-dir <dir>', 'data folder (env RCN_DATA_DIR)')
    .action(async (dataset: string, opts: { dataDir?: string }) => {
      if (dataset !== 'omniglot') throw new Error(`only 'omniglot' can be fetched, not '${dataset}'`);
      const res = await fetchOmniglot({
        dataDir: opts.dataDir ?? defaultDataDir(),
        log: (l) => console.error(l),
      });
      console.log(`omniglot ready in ${res.dir}`);
    });
}
