/** Progress bars with ETA for long commands (stderr, so that `--json` output on stdout stays clean). */
import { SingleBar } from 'cli-progress';

export interface Bar {
  update(done: number, fields: Record<string, string>): void;
  setTotal(total: number): void;
  stop(): void;
}

export function progressBar(label: string, total: number, enabled = process.stderr.isTTY === true): Bar {
  if (!enabled) {
    // Not a terminal (logs, CI): one line every ~10%, still with the figures.
    let lastTenth = -1;
    return {
      update(done, fields) {
        const tenth = Math.floor((10 * done) / Math.max(1, total));
        if (tenth === lastTenth && done !== total) return;
        lastTenth = tenth;
        process.stderr.write(
          `${label} ${done}/${total} ${Object.entries(fields)
            .map(([k, v]) => `${k} ${v}`)
            .join(' ')}\n`,
        );
      },
      setTotal(t) {
        total = t;
      },
      stop() {},
    };
  }
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} | ETA {eta_formatted} | {fields}`,
    stream: process.stderr,
    hideCursor: true,
    etaBuffer: 50,
    barsize: 24,
  });
  bar.start(total, 0, { fields: '' });
  return {
    update(done, fields) {
      bar.update(done, {
        fields: Object.entries(fields)
          .map(([k, v]) => `${k} ${v}`)
          .join(' | '),
      });
    },
    setTotal(t) {
      bar.setTotal(t);
    },
    stop() {
      bar.stop();
    },
  };
}
