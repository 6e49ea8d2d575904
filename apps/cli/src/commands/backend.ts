import type { Command } from 'commander';
import { initBackend, formatBackend } from '@rcn/core';
import { backendOption } from '../args.js';

export function registerBackendCommand(program: Command): void {
  program
    .command('backend')
    .description('load the compute backend and report which one runs')
    .option('--backend <name>', 'auto | tensorflow-gpu | webgpu | tensorflow | wasm | cpu (env RCN_BACKEND)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { backend?: string; json?: boolean }) => {
      const info = await initBackend(backendOption(opts.backend));
      if (opts.json) {
        console.log(JSON.stringify(info, null, 2));
        return;
      }
      console.log(`backend: ${formatBackend(info)}`);
      for (const d of info.devices) console.log(`device: ${d}`);
      if (info.adapter?.cpuFallback)
        console.log(
          'note: a CPU fallback adapter computes correctly but far slower than wasm; auto never picks it',
        );
      for (const s of info.skipped) console.log(`skipped ${s.name}: ${s.reason}`);
    });
}
