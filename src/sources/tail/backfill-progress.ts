// What a `--from-start` backfill shows while a file follower catches up with a log:
// on a terminal, a progress bar (cli-progress: bytes and lines done, rate, time left)
// and one summary line when following starts; otherwise one log line when reading
// starts and one when it has caught up. The follower says when it first reaches the
// end of the data (FileFollower.caughtUp()).

import { statSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Logger } from '../../log.js';
import type { FileFollower } from './file-follower.js';

export interface BackfillOptions {
  /** where the bar goes (default stderr); a bar only when it is a terminal */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** ms between bar updates (default 200) */
  intervalMs?: number;
  /** monotonic ms, for the rate and the summary (default performance.now) */
  clock?: () => number;
}

/** Reports a backfill of `follower` (labelled e.g. "postfix log"); stop() when the source stops. */
export interface BackfillReport {
  /** resolves once caught up and reported */
  done: Promise<void>;
  stop(): void;
}

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 123.4 MB (powers of 1000, as disk sizes are usually given). */
export function formatBytes(n: number): string {
  let i = 0;
  while (n >= 1000 && i < UNITS.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i ? n.toFixed(1) : n} ${UNITS[i]}`;
}

const commas = (n: number) => Math.round(n).toLocaleString('en-US');

/** 42 s, 3 min 20 s, 2 h 5 min. */
export function formatSeconds(t: number): string {
  const s = Math.ceil(t);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function trackBackfill(follower: FileFollower, label: string, log: Logger, opts: BackfillOptions = {}): BackfillReport {
  const stream = opts.stream ?? process.stderr;
  const clock = opts.clock ?? (() => performance.now());
  const t0 = clock();
  const input = follower.path;
  let size = 0;
  try {
    size = statSync(input).size;
  } catch {
    // not there yet: the bar learns the size once the file is open
  }
  // The two lines are notices an operator asked for with --from-start: shown at the
  // default level (warn) too, unless logging was made quieter than that.
  const notices = log.isLevelEnabled('warn') ? log.child({}, { level: 'info' }) : log;
  let bar: SingleBar | undefined;
  let timer: NodeJS.Timeout | undefined;
  const figures = () => {
    const { offset, size: s } = follower.progress();
    const st = follower.stats();
    const seconds = Math.max(0.001, (clock() - t0) / 1000);
    // before the file is open the follower knows no size: the one taken at start
    return { offset, size: Math.max(s, offset, size), lines: st.lines, seconds };
  };
  if (stream.isTTY) {
    // drawn from the first tick on: the agent's start-up lines come first, and a backfill
    // shorter than a tick shows its summary alone
    timer = setInterval(() => {
      const f = figures();
      const left = f.offset > 0 ? ((f.size - f.offset) * f.seconds) / f.offset : undefined;
      const payload = { doneBytes: formatBytes(f.offset), totalBytes: formatBytes(f.size), lines: commas(f.lines), rate: commas(f.lines / f.seconds), left: left === undefined ? '?' : formatSeconds(left) };
      if (!bar) {
        bar = new SingleBar({
          stream,
          format: `${label} [{bar}] {percentage}% | {doneBytes} of {totalBytes} | {lines} lines | {rate} lines/s | {left} left`,
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
          fps: 5,
          linewrap: false,
        });
        bar.start(Math.max(1, f.size), f.offset, payload);
      } else {
        bar.setTotal(Math.max(1, f.size));
        bar.update(f.offset, payload);
      }
    }, opts.intervalMs ?? 200);
    timer.unref();
  } else {
    notices.info({ input, bytes: size }, `${label}: reading from the start (${formatBytes(size)})`);
  }
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    bar?.stop();
  };
  const done = follower.caughtUp().then(() => {
    if (stopped) return;
    const f = figures();
    stop();
    const summary = `${label}: read ${commas(f.lines)} lines (${formatBytes(f.offset)}) in ${f.seconds.toFixed(1)} s, ${commas(f.lines / f.seconds)} lines/s; following ${input}`;
    if (stream.isTTY) stream.write(`${summary}\n`);
    else notices.info({ input, lines: f.lines, bytes: f.offset, seconds: Number(f.seconds.toFixed(3)) }, summary);
  });
  return { done, stop };
}
