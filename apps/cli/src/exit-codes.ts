/** Exit codes scripts can rely on (also listed in the README). */
export const EXIT = {
  ok: 0,
  /** Any other failure (I/O, data, backend). */
  error: 1,
  /** Bad arguments or configuration. */
  usage: 2,
  /** Training diverged (non-finite loss or gradient); the last good checkpoint is kept. */
  diverged: 3,
  /** Interrupted by SIGINT/SIGTERM/SIGHUP after saving a checkpoint. */
  interrupted: 130,
} as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
