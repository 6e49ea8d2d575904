/** `tasks import-lake`: Lake's Omniglot one-shot runs as a tasks JSON file for `eval --tasks`. */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { importLakeRuns, writeJsonAtomic } from '@rcn/core';

export function registerTasksCommands(program: Command): void {
  const tasks = program.command('tasks').description('fixed episode files for `eval --tasks`');
  tasks
    .command('import-lake')
    .description(
      "convert Lake's one-shot runs (runNN/class_labels.txt, training/, test/) into a tasks JSON file",
    )
    .argument('<dir>', 'folder holding run01 ... run20')
    .option('--out <file>', 'tasks file to write (default <dir>/tasks.json; paths are relative to <dir>)')
    .action(async (dir: string, f: { out?: string }) => {
      const file = await importLakeRuns(resolve(dir));
      const out = resolve(f.out ?? join(dir, 'tasks.json'));
      if (resolve(out, '..') !== resolve(dir))
        for (const e of file.episodes)
          for (const im of [...e.support, ...e.query]) im.path = resolve(dir, im.path);
      await writeJsonAtomic(out, file);
      console.log(
        `${file.episodes.length} runs (${file.episodes[0].support.length}-way 1-shot) written to ${out}`,
      );
    });
}
