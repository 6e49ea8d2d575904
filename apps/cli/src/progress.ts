/** Progress bars with ETA for long commands (stderr, so that `--json` output on stdout stays clean). */
import { SingleBar } from 'cli-progress';

export interface Bar {
  /** `etaSeconds` when the caller knows better (the trainer's, right after a resume); else estimated here. */
  update(done: number, fields: Record<string, string>, etaSeconds?: number): void;
  setTotal(total: number): void;
  /** A message on a line of its own (never glued to the bar), e.g. on an interrupt. */
  note(line: string): void;
  stop(): void;
}

export interface BarOptions {
  /** Draw a live bar (a terminal); otherwise print lines. Default: stderr is a TTY. */
  tty?: boolean;
  /** Without a terminal, the longest silence between lines (default 30 s). */
  intervalMs?: number;
  /** Clock and sink, for tests. */
  now?: () => number;
  write?: (s: string) => void;
}

/** `1:02:03`, `4:05`, or `-` when unknown. */
export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const fieldText = (fields: Record<string, string>, sep: string) =>
  Object.entries(fields)
    .map(([k, v]) => `${k} ${v}`)
    .join(sep);

export function progressBar(label: string, total: number, opts: BarOptions = {}): Bar {
  const now = opts.now ?? (() => Date.now());
  const write = opts.write ?? ((s: string) => void process.stderr.write(s));
  // ETA from the first value seen (not from 0), so that a resumed run's estimate is right at once.
  let first: { done: number; t: number } | null = null;
  const eta = (done: number, given?: number): number | undefined => {
    if (given !== undefined) return given;
    if (!first) return undefined;
    const rate = (done - first.done) / ((now() - first.t) / 1000);
    return rate > 0 ? (total - done) / rate : undefined;
  };

  if (!(opts.tty ?? process.stderr.isTTY === true)) {
    // Not a terminal (logs, CI): a line every ~10% and at least every `intervalMs`, even while one step
    // runs longer than that.
    const interval = opts.intervalMs ?? 30_000;
    let lastTenth = -1;
    let lastDone = -1;
    let lastLine = now();
    let last = '';
    let lastAt = now();
    const print = (s: string) => {
      write(`${s}\n`);
      lastLine = now();
    };
    const timer = setInterval(
      () => {
        if (last && now() - lastLine >= interval)
          print(`${last} (working: ${Math.round((now() - lastAt) / 1000)} s since this update)`);
      },
      Math.min(interval, 5_000),
    );
    timer.unref();
    return {
      update(done, fields, etaSeconds) {
        if (!first) first = { done, t: now() };
        const tenth = Math.floor((10 * done) / Math.max(1, total));
        last =
          `${label} ${done}/${total} ETA ${formatEta(eta(done, etaSeconds))} ${fieldText(fields, ' ')}`.trimEnd();
        lastAt = now();
        // Once at the end too (validation after the last step updates at done = total many times).
        const atEnd = done === total && lastDone !== total;
        if (tenth === lastTenth && !atEnd && now() - lastLine < interval) return;
        lastTenth = tenth;
        lastDone = done;
        print(last);
      },
      setTotal(t) {
        total = t;
      },
      note(line) {
        print(line);
      },
      stop() {
        clearInterval(timer);
      },
    };
  }
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} | ETA {myEta} | {fields}`,
    stream: process.stderr,
    hideCursor: true,
    barsize: 24,
  });
  let started = false;
  return {
    update(done, fields, etaSeconds) {
      if (!first) first = { done, t: now() };
      const payload = { fields: fieldText(fields, ' | '), myEta: formatEta(eta(done, etaSeconds)) };
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else bar.update(done, payload);
    },
    setTotal(t) {
      total = t;
      bar.setTotal(t);
    },
    note(line) {
      // Clear the bar's line, print, and let the next update redraw the bar below.
      process.stderr.write(`\r\x1b[2K${line}\n`);
      if (started) bar.render();
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
