#!/usr/bin/env node
/** `pnpm cli <command>`: a thin shell over @rcn/core; every piece of logic lives in core. */
import { Command } from 'commander';
import { registerBackendCommand } from './commands/backend.js';
import { registerDatasetsCommands } from './commands/datasets.js';

const program = new Command()
  .name('rcn')
  .description('RCN Studio: train, evaluate and explain Region Comparison Networks for few-shot classification')
  .showHelpAfterError();

registerBackendCommand(program);
registerDatasetsCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
