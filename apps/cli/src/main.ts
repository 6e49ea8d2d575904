#!/usr/bin/env node
/** `pnpm cli <command>`: a thin shell over @rcn/core; every piece of logic lives in core. */
import { Command } from 'commander';
import { registerBackendCommand } from './commands/backend.js';
import { registerDatasetsCommands } from './commands/datasets.js';
import { registerTrainCommand } from './commands/train.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerRunsCommand } from './commands/runs.js';
import { registerExplainCommands } from './commands/explain.js';
import { registerSweepCommand } from './commands/sweep.js';
import { registerWorkerCommand } from './commands/worker.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerTasksCommands } from './commands/tasks.js';
import { registerCampaignCommand } from './commands/campaign.js';
import { registerZooCommand } from './commands/zoo.js';
import { registerExportDemoCommand } from './commands/export-demo.js';
import { EXIT, UsageError } from './exit-codes.js';
import { outliveClosedPipes } from './stdio.js';

outliveClosedPipes();

const program = new Command()
  // How users run it (no `rcn` binary is installed): usage lines then read as commands to type.
  .name('pnpm cli')
  .description(
    'RCN Studio: train, evaluate and explain Region Comparison Networks for few-shot classification',
  )
  .showHelpAfterError()
  // commander's own usage errors (unknown option, missing argument): exit code 2, like ours. Set before the
  // commands are registered, which copy it.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage));

registerBackendCommand(program);
registerDatasetsCommands(program);
registerTrainCommand(program);
registerEvalCommand(program);
registerRunsCommand(program);
registerExplainCommands(program);
registerWorkerCommand(program);
registerSweepCommand(program);
registerPredictCommand(program);
registerTasksCommands(program);
registerCampaignCommand(program);
registerZooCommand(program);
registerExportDemoCommand(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(e instanceof UsageError ? EXIT.usage : EXIT.error);
});
