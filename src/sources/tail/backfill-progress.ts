// What a `--from-start` backfill shows while a follower catches up with a log: on a
// terminal, a progress bar (cli-progress: how far, lines done, rate, time left) and one
// summary line when following starts; otherwise one log line when reading starts and one
// when it has caught up. The follower says when it first reaches the end of the data
// (caughtUp()). A file's backlog is measured in bytes; the journal has no size, so its
// backlog is measured in time, from its first entry to the one that was last when the
// follower started (JournalFollower.progress()).

import { statSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import type { Logger } from '../../log.js';
import type { FileFollower } from './file-follower.js';
import type { JournalFollower } from './journal.js';

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
/** 2026-12-08 00:43:45Z */
const stamp = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;

/** How far a backlog is read: `done` of `total` in its own measure (bytes, or ms of the journal), and as text. */
interface Measure {
  done: number;
  total: number;
  doneText: string;
  totalText: string;
  /** what was read, for the summary: "10.2 MB", "2026-11-01 00:00:00Z to 2026-12-08 00:43:45Z" */
  span: string;
  /** the same as log fields */
  fields: Record<string, number | string | undefined>;
}

/** What a report reads of a follower catching up: a file (bytes) or the journal (time). */
interface Backlog {
  /** the log as messages name it: a path, `journal postfix.service` */
  input: string;
  /** lines, or entries */
  unit: string;
  /** the start notice's words and fields */
  start: { text: string; fields: Record<string, number | string> };
  measure(): Measure;
  count(): number;
  caughtUp(): Promise<void>;
}

function fileBacklog(follower: FileFollower): Backlog {
  let size = 0;
  try {
    size = statSync(follower.path).size;
  } catch {
    // not there yet: the bar learns the size once the file is open
  }
  return {
    input: follower.path,
    unit: 'lines',
    start: { text: `reading from the start (${formatBytes(size)})`, fields: { bytes: size } },
    measure() {
      const { offset, size: s } = follower.progress();
      // before the file is open the follower knows no size: the one taken at start
      const total = Math.max(s, offset, size);
      return { done: offset, total, doneText: formatBytes(offset), totalText: formatBytes(total), span: formatBytes(offset), fields: { bytes: offset } };
    },
    count: () => follower.stats().lines,
    caughtUp: () => follower.caughtUp(),
  };
}

function journalBacklog(follower: JournalFollower, input: string): Backlog {
  return {
    input,
    unit: 'entries',
    start: { text: `reading ${input} from the start`, fields: {} },
    measure() {
      const { from, at, to } = follower.progress();
      const end = Math.max(to ?? 0, at ?? 0);
      const read = from !== undefined && at !== undefined;
      return {
        done: read ? at - from : 0,
        total: read ? end - from : 0,
        doneText: at === undefined ? '-' : stamp(at),
        totalText: end ? stamp(end) : '?',
        span: read ? `${stamp(from)} to ${stamp(at)}` : 'none',
        fields: { from: from === undefined ? undefined : new Date(from).toISOString(), to: at === undefined ? undefined : new Date(at).toISOString() },
      };
    },
    count: () => follower.stats().entries,
    caughtUp: () => follower.caughtUp(),
  };
}

/** 42 s, 3 min 20 s, 2 h 5 min. */
export function formatSeconds(t: number): string {
  const s = Math.ceil(t);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/**
 * Reports the backfill of a file follower, or of a journal follower (whose log `input`
 * names, e.g. `journal postfix.service`), labelled e.g. "postfix log".
 */
export function trackBackfill(follower: FileFollower, label: string, log: Logger, opts?: BackfillOptions): BackfillReport;
export function trackBackfill(follower: JournalFollower, label: string, log: Logger, opts: BackfillOptions & { input: string }): BackfillReport;
export function trackBackfill(follower: FileFollower | JournalFollower, label: string, log: Logger, opts: BackfillOptions & { input?: string } = {}): BackfillReport {
  const backlog = 'path' in follower ? fileBacklog(follower) : journalBacklog(follower, opts.input ?? 'the journal');
  const { input, unit } = backlog;
  const stream = opts.stream ?? process.stderr;
  const clock = opts.clock ?? (() => performance.now());
  const t0 = clock();
  // The two lines are notices an operator asked for with --from-start: shown at the
  // default level (warn) too, unless logging was made quieter than that.
  const notices = log.isLevelEnabled('warn') ? log.child({}, { level: 'info' }) : log;
  let bar: SingleBar | undefined;
  let timer: NodeJS.Timeout | undefined;
  const figures = () => ({ m: backlog.measure(), lines: backlog.count(), seconds: Math.max(0.001, (clock() - t0) / 1000) });
  if (stream.isTTY) {
    // drawn from the first tick on: the agent's start-up lines come first, and a backfill
    // shorter than a tick shows its summary alone
    timer = setInterval(() => {
      const { m, lines, seconds } = figures();
      const left = m.done > 0 ? ((m.total - m.done) * seconds) / m.done : undefined;
      const payload = { doneText: m.doneText, totalText: m.totalText, lines: commas(lines), rate: commas(lines / seconds), left: left === undefined ? '?' : formatSeconds(left) };
      if (!bar) {
        bar = new SingleBar({
          stream,
          format: `${label} [{bar}] {percentage}% | {doneText} of {totalText} | {lines} ${unit} | {rate} ${unit}/s | {left} left`,
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
          fps: 5,
          linewrap: false,
        });
        bar.start(Math.max(1, m.total), m.done, payload);
      } else {
        bar.setTotal(Math.max(1, m.total));
        bar.update(m.done, payload);
      }
    }, opts.intervalMs ?? 200);
    timer.unref();
  } else {
    notices.info({ input, ...backlog.start.fields }, `${label}: ${backlog.start.text}`);
  }
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    bar?.stop();
  };
  const done = backlog.caughtUp().then(() => {
    if (stopped) return;
    const { m, lines, seconds } = figures();
    stop();
    const summary = `${label}: read ${commas(lines)} ${unit} (${m.span}) in ${seconds.toFixed(1)} s, ${commas(lines / seconds)} ${unit}/s; following ${input}`;
    if (stream.isTTY) stream.write(`${summary}\n`);
    else notices.info({ input, lines, ...m.fields, seconds: Number(seconds.toFixed(3)) }, summary);
  });
  return { done, stop };
}
