import type { Command } from 'commander';
import { defaultRunsDir, listRuns } from '@rcn/core';

export function registerRunsCommand(program: Command): void {
  program
    .command('runs')
    .description('list training runs with status and best validation accuracy')
    .option('--runs-dir <dir>', 'runs folder (env RCN_RUNS_DIR; default <repo>/runs)')
    .option('--json', 'machine-readable output')
    .action(async (f: { runsDir?: string; json?: boolean }) => {
      const dir = f.runsDir ?? defaultRunsDir();
      const runs = await listRuns(dir);
      if (f.json) {
        console.log(JSON.stringify(runs, null, 2));
        return;
      }
      if (!runs.length) {
        console.log(`no runs in ${dir}`);
        return;
      }
      const rows = runs.map((r) => [
        r.id,
        r.status,
        `${r.config.method} ${r.config.model.backbone} ${r.config.way}w${r.config.shot}s`,
        r.config.dataset,
        `${r.episode}/${r.config.episodes}`,
        r.bestValAccuracy === null
          ? '-'
          : `${(100 * r.bestValAccuracy).toFixed(2)} ± ${(100 * (r.bestValCi95 ?? 0)).toFixed(2)}`,
      ]);
      const header = ['run', 'status', 'model', 'dataset', 'episodes', 'best val %'];
      const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      const line = (c: string[]) => c.map((x, i) => x.padEnd(w[i])).join('  ');
      console.log(line(header));
      for (const r of rows) console.log(line(r));
      for (const r of runs) if (r.error && r.status !== 'finished') console.log(`\n${r.id}: ${r.error}`);
    });
}
