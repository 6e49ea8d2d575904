import type { Command } from 'commander';
import { defaultZooDir, listZoo, type ZooModel } from '@rcn/core';
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

export function registerZooCommand(program: Command): void {
  program
    .command('zoo')
    .description(
      'the trained models that ship with RCN Studio: `zoo` lists them, `zoo show <name>` prints a card',
    )
    .argument('[action]', 'list | show', 'list')
    .argument('[name]', 'show: the model')
    .option('--zoo-dir <dir>', 'the zoo folder (env RCN_ZOO_DIR; default zoo/ in the repository)')
    .option('--json', 'JSON')
    .action(async (action: string, name: string | undefined, f: { zooDir?: string; json?: boolean }) => {
      const dir = f.zooDir ?? defaultZooDir();
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
      if (action !== 'show') throw new UsageError(`zoo: expected list or show, got '${action}'`);
      const m = models.find((x) => x.name === name);
      if (!m)
        throw new UsageError(
          `zoo show: no model '${name ?? ''}' (models: ${models.map((x) => x.name).join(', ') || 'none'})`,
        );
      console.log(JSON.stringify(m.card, null, 2));
    });
}
