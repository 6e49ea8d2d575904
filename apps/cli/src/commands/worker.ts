import type { Command } from 'commander';
import { startQueueWorker } from '@rcn/jobs';
import { intFlag as int } from '../args.js';
import { EXIT, UsageError } from '../exit-codes.js';

interface WorkerFlags {
  queue?: string;
  concurrency: string;
  lockMs: string;
  runsDir?: string;
  dataDir?: string;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('take training and evaluation jobs from a Redis queue (BullMQ) until stopped')
    .option('--queue <url>', 'redis://host:port (env RCN_QUEUE)')
    .option('--concurrency <n>', 'jobs at once, one thread each', '1')
    .option('--lock-ms <ms>', "a dead worker's job is taken over after about twice this", '30000')
    .option('--runs-dir <dir>', "where this machine mounts the shared runs folder (default: the job's)")
    .option('--data-dir <dir>', "where this machine mounts the data folder (default: the job's)")
    .action(async (f: WorkerFlags) => {
      const url = f.queue ?? process.env.RCN_QUEUE;
      if (!url) throw new UsageError('--queue redis://host:port (or env RCN_QUEUE) is required');
      const worker = await startQueueWorker({
        url,
        concurrency: int(f.concurrency, '--concurrency'),
        lockMs: int(f.lockMs, '--lock-ms', 1000),
        runsDir: f.runsDir,
        dataDir: f.dataDir,
        log: (l) => console.error(`${new Date().toISOString()} ${l}`),
      });
      console.error(`worker ${worker.name} on ${url}: waiting for jobs`);
      // One machine-readable line for scripts and tests.
      console.log(JSON.stringify({ event: 'ready', worker: worker.name }));
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) process.exit(EXIT.interrupted);
        stopping = true;
        console.error(
          `${signal}: saving checkpoints and handing running jobs back to the queue (again to quit)`,
        );
        worker.close().then(
          () => process.exit(EXIT.interrupted),
          (e: unknown) => {
            console.error(e);
            process.exit(EXIT.error);
          },
        );
      };
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => stop(sig));
      await new Promise(() => {}); // until a signal
    });
}
