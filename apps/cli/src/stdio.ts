/**
 * Output to a pipe whose reader has gone. `pnpm cli train ... 2>&1 | tee log`, then Ctrl-C: the terminal
 * signals tee as well, so the trainer's next line (its "finishing the current step" note included) fails
 * with EPIPE. Node reports that as an 'error' event on process.stdout / process.stderr, and an unhandled one
 * kills the process before the signal handler saves the run. Once a stream's reader is gone its output has
 * nowhere to go: it is dropped, and the command carries on (a training run saves and exits 130).
 */
const GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

export function outliveClosedPipes(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (!GONE.has(e.code ?? '')) throw e;
    });
  }
}
