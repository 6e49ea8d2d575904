import type { Command } from 'commander';
import { resolve } from 'node:path';
import {
  defaultDataDir,
  defaultZooDir,
  initBackend,
  listZoo,
  publishZooModel,
  ZOO_NAME,
  type ZooModel,
} from '@rcn/core';
import { UsageError } from '../exit-codes.js';

const pct = (v: number) => (100 * v).toFixed(2);

function line(m: ZooModel): string {
  const t = m.card.test
    .map(
      (e) =>
        `${e.way}w${e.shot}s${e.withinGroup ? ' (one alphabet)' : ''} ${pct(e.accuracy)} ± ${pct(e.ci95)}%`,
    )
    .join(', ');
  return `${m.name.padEnd(44)} ${m.card.dataset}/${m.card.splits.test}: ${t}`;
}

interface ZooFlags {
  zooDir?: string;
  run?: string;
  command?: string;
  dataDir?: string;
  json?: boolean;
}

/**
 * `zoo publish <name> --run <dir> --command "..."`: a finished run with a test evaluation of its best
 * checkpoint becomes a zoo model with a card (the campaign publishes its cells the same way).
 */
async function publish(name: string | undefined, dir: string | undefined, f: ZooFlags): Promise<void> {
  if (!name || !ZOO_NAME.test(name))
    throw new UsageError(
      `zoo publish: name the model (lower-case letters, digits, '.', '_', '-'), got '${name ?? ''}'`,
    );
  if (!f.run) throw new UsageError('zoo publish: --run <run folder> is required');
  if (!f.command) throw new UsageError('zoo publish: --command "<the command that trained it>" is required');
  if (!dir) throw new UsageError('zoo publish: no zoo folder (--zoo-dir or RCN_ZOO_DIR)');
  await initBackend('wasm');
  try {
    const card = await publishZooModel({
      runDir: resolve(f.run),
      name,
      zooDir: resolve(dir),
      command: f.command,
      dataDir: resolve(f.dataDir ?? defaultDataDir()),
      backend: 'wasm',
    });
    console.log(
      `published ${name}: ${card.test.map((t) => `${t.way}w${t.shot}s ${pct(t.accuracy)}%`).join(', ')}`,
    );
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function registerZooCommand(program: Command): void {
  program
    .command('zoo')
    .description(
      'the trained models that ship with RCN Studio: `zoo` lists them, `zoo show <name>` prints a card',
    )
    .argument('[action]', 'list | show | publish', 'list')
    .argument('[name]', 'show, publish: the model')
    .option('--zoo-dir <dir>', 'the zoo folder (env RCN_ZOO_DIR; default zoo/ in the repository)')
    .option('--run <dir>', 'publish: the finished run whose best checkpoint becomes the model')
    .option('--command <text>', 'publish: the command that trained the run, for its card')
    .option('--data-dir <dir>', "publish: data folder for the card's check (env RCN_DATA_DIR)")
    .option('--json', 'JSON')
    .action(async (action: string, name: string | undefined, f: ZooFlags) => {
      const dir = f.zooDir ?? defaultZooDir();
      if (action === 'publish') return publish(name, dir, f);
      const models = await listZoo(dir);
      if (action === 'list') {
        if (f.json)
          console.log(
            JSON.stringify(
              models.map((m) => m.card),
              null,
              2,
            ),
          );
        else if (!models.length) console.log(`no zoo models${dir ? ` in ${dir}` : ' (no zoo folder)'}`);
        else for (const m of models) console.log(line(m));
        return;
      }
      if (action !== 'show') throw new UsageError(`zoo: expected list, show or publish, got '${action}'`);
      const m = models.find((x) => x.name === name);
      if (!m)
        throw new UsageError(
          `zoo show: no model '${name ?? ''}' (models: ${models.map((x) => x.name).join(', ') || 'none'})`,
        );
      console.log(JSON.stringify(m.card, null, 2));
    });
}
