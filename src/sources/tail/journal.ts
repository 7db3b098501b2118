// Follows the systemd journal through `journalctl --follow --output=json`, with
// the journal cursor as the position: a follower given a saved cursor resumes
// after it (--after-cursor). Entries are delivered structured (time, syslog
// identifier, pid, message), in batches, like the file follower's lines.
//
// journalctl is restarted when it exits or cannot be started, after a delay
// that doubles from restartMs up to maxRestartMs (and is reset by a run that
// delivered something or lasted a minute); the status callback says why.
//
// Arguments: --follow --output=json --all (fields of any size, not null) --quiet
// (no "-- Logs begin" or "-- Reboot --" markers) --no-pager
// --output-fields=... (systemd >= 236), then -u UNIT per unit and
// --identifier=ID per identifier (journalctl ORs values of one kind and ANDs
// units with identifiers), then where to start:
//   --after-cursor=CURSOR --no-tail   after a saved or last delivered cursor
//                                     (--no-tail, else journalctl -f shows only
//                                     10 entries after the cursor until new ones
//                                     arrive)
//   --no-tail                         fromStart: every stored entry, then follow
//   --lines=0                         default: new entries only
// A cursor journalctl rejects ("Failed to seek to cursor") is dropped, reported,
// and the follower restarts as configured without a position.
//
// caughtUp() says when a backlog has been read: with fromStart, once the entry that
// was the journal's last when the follower started has been delivered (journal-end.ts);
// after a saved cursor, once journalctl has had nothing more to say for IDLE_MS.

import { spawn, type ChildProcess } from 'node:child_process';
import { journalMatchArgs, readJournalEnd, type JournalMark, type JournalProgress } from './journal-end.js';
import { LineSplitter } from './lines.js';
import {
  DEFAULT_MAX_BATCH_LINES,
  DEFAULT_MAX_LINE_BYTES,
  StatusReporter,
  asError,
  callBatch,
  type Follower,
  type FollowerCallbacks,
} from './types.js';

export interface JournalPosition {
  cursor: string;
}

export interface JournalEntry {
  /** __REALTIME_TIMESTAMP in milliseconds since the epoch */
  time: number;
  /** SYSLOG_IDENTIFIER, else _COMM, else '' */
  identifier: string;
  /** SYSLOG_PID, else _PID */
  pid?: number;
  /** MESSAGE, decoded as UTF-8 with replacement characters; may contain newlines */
  message: string;
  /** PRIORITY, the syslog severity 0 (emerg) .. 7 (debug), when the entry has one */
  priority?: number;
}

export interface JournalFollowerOptions extends FollowerCallbacks<JournalEntry, JournalPosition> {
  /** -u UNIT for each */
  units?: string[];
  /** --identifier=ID (SYSLOG_IDENTIFIER) for each */
  identifiers?: string[];
  /** Every stored entry first (default: new entries only). Ignored when `position` is given. */
  fromStart?: boolean;
  /** Resume after this cursor. */
  position?: JournalPosition;
  /** Most entries per batch (default 10,000). */
  maxBatchLines?: number;
  /** Longer messages are cut to this many bytes and counted as truncated (default 64 KiB). */
  maxMessageBytes?: number;
  /** The journalctl executable (default 'journalctl', looked up in PATH). */
  command?: string;
  /** More arguments (e.g. ['--directory', DIR] or ['--machine', NAME]), placed before the matches. */
  extraArgs?: string[];
  /** First delay before restarting journalctl (default 1000 ms). */
  restartMs?: number;
  /** Longest delay before restarting (default 30,000 ms). */
  maxRestartMs?: number;
}

export interface JournalFollowerStats {
  entries: number;
  /** output lines that were not a journal entry with a cursor */
  invalid: number;
  /** messages cut to maxMessageBytes */
  truncated: number;
  /** times journalctl was started */
  runs: number;
}

const FIELDS = ['MESSAGE', 'SYSLOG_IDENTIFIER', 'SYSLOG_PID', '_PID', '_COMM', 'PRIORITY'];
const MAX_JSON_LINE = 1024 * 1024;
const HEALTHY_AFTER_MS = 1000;
const RESET_BACKOFF_AFTER_MS = 60_000;
const KILL_AFTER_MS = 2000;
/** a backlog whose end is unknown is taken as read once journalctl has been silent this long */
const IDLE_MS = 2000;

/** The journalctl arguments for these options, starting after `cursor` if given. */
export function journalctlArgs(
  o: Pick<JournalFollowerOptions, 'units' | 'identifiers' | 'fromStart' | 'extraArgs'>,
  cursor: string | undefined,
): string[] {
  const args = ['--follow', '--output=json', '--all', '--quiet', '--no-pager', `--output-fields=${FIELDS.join(',')}`];
  args.push(...journalMatchArgs(o));
  if (cursor !== undefined) args.push(`--after-cursor=${cursor}`, '--no-tail');
  else if (o.fromStart) args.push('--no-tail');
  else args.push('--lines=0');
  return args;
}

/** A JSON field value: a string, bytes as an array of numbers, or several values. */
function fieldText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    if (v.length === 0) return '';
    if (v.every((x): x is number => typeof x === 'number')) return Buffer.from(v.map((x) => x & 0xff)).toString('utf8');
    return fieldText(v[0]); // a field given several times: the first value
  }
  if (typeof v === 'number') return String(v);
  return undefined;
}

function fieldInt(v: unknown): number | undefined {
  const s = fieldText(v);
  if (s === undefined || !/^\d+$/.test(s.trim())) return undefined;
  return Number(s.trim());
}

/**
 * One line of `journalctl -o json`: its cursor and, if it has a MESSAGE, the entry.
 * Undefined for a line that is not a JSON object with a __CURSOR.
 */
export function parseJournalLine(line: string): { cursor: string; entry?: JournalEntry } | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const cursor = o.__CURSOR;
  if (typeof cursor !== 'string' || cursor === '') return undefined;
  const message = fieldText(o.MESSAGE);
  if (message === undefined) return { cursor };
  const us = fieldText(o.__REALTIME_TIMESTAMP);
  const time = us !== undefined && /^\d+$/.test(us) ? Math.floor(Number(us) / 1000) : 0;
  const identifier = fieldText(o.SYSLOG_IDENTIFIER) ?? fieldText(o._COMM) ?? '';
  const pid = fieldInt(o.SYSLOG_PID) ?? fieldInt(o._PID);
  const entry: JournalEntry = { time, identifier, message };
  if (pid !== undefined) entry.pid = pid;
  const priority = fieldInt(o.PRIORITY);
  if (priority !== undefined && priority <= 7) entry.priority = priority;
  return { cursor, entry };
}

function cutUtf8(s: string, maxBytes: number): string | undefined {
  if (s.length * 3 <= maxBytes || Buffer.byteLength(s) <= maxBytes) return undefined;
  const b = Buffer.from(s);
  let cut = maxBytes;
  for (let k = 0; k < 3 && cut > 0 && (b[cut]! & 0xc0) === 0x80; k++) cut--;
  return b.toString('utf8', 0, cut);
}

interface RunResult {
  reason: string;
  delivered: number;
  badCursor: boolean;
}

export class JournalFollower implements Follower<JournalPosition> {
  private readonly status: StatusReporter;
  private readonly maxBatch: number;
  private readonly maxMessage: number;
  private readonly restartMs: number;
  private readonly maxRestartMs: number;
  private readonly counters: JournalFollowerStats = { entries: 0, invalid: 0, truncated: 0, runs: 0 };
  /** cursor after the last delivered batch */
  private cursor: string | undefined;
  /** cursor of the last entry read (delivered or not) */
  private readCursor: string | undefined;
  private batch: JournalEntry[] = [];
  private child: ChildProcess | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  /** the backlog's last entry: undefined until known (or never), null when the journal had none */
  private end: JournalMark | null | undefined;
  /** the backlog's last entry (or a later one) has been read; delivered with the next flush */
  private passedEnd = false;
  private readonly progressed: JournalProgress = {};
  private idle: NodeJS.Timeout | undefined;
  private reachedEnd!: () => void;
  private isCaughtUp = false;
  private readonly atEnd = new Promise<void>((resolve) => (this.reachedEnd = resolve));

  constructor(private readonly opts: JournalFollowerOptions) {
    this.status = new StatusReporter(opts.onStatus);
    this.maxBatch = Math.max(1, opts.maxBatchLines ?? DEFAULT_MAX_BATCH_LINES);
    this.maxMessage = Math.max(16, opts.maxMessageBytes ?? DEFAULT_MAX_LINE_BYTES);
    this.restartMs = Math.max(1, opts.restartMs ?? 1000);
    this.maxRestartMs = Math.max(this.restartMs, opts.maxRestartMs ?? 30_000);
    this.cursor = opts.position?.cursor || undefined;
    // new entries only: nothing to catch up with
    if (!this.cursor && !opts.fromStart) this.caughtUpNow();
  }

  start(): void {
    if (this.running || this.stopping) return;
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    clearTimeout(this.idle);
    this.wake?.();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      await this.running;
      clearTimeout(t);
    } else {
      await this.running;
    }
  }

  position(): JournalPosition | undefined {
    return this.cursor !== undefined ? { cursor: this.cursor } : undefined;
  }

  stats(): JournalFollowerStats {
    return { ...this.counters };
  }

  /** Resolves the first time the backlog has been read and delivered: following begins. */
  caughtUp(): Promise<void> {
    return this.atEnd;
  }

  /** How far the backlog has been read, by time (for a progress report). */
  progress(): JournalProgress {
    return { ...this.progressed };
  }

  /** The arguments the next journalctl run gets. */
  args(): string[] {
    return journalctlArgs(this.opts, this.cursor);
  }

  private async run(): Promise<void> {
    if (this.opts.fromStart && !this.cursor) {
      this.end = await readJournalEnd(this.opts, this.opts.command);
      if (this.end) this.progressed.to = this.end.time;
      else if (this.end === null) this.caughtUpNow(); // an empty journal (for these matches)
    }
    let delay = this.restartMs;
    while (!this.stopping) {
      const started = Date.now();
      let r: RunResult;
      try {
        r = await this.runOnce();
      } catch (err) {
        r = { reason: `journalctl: ${asError(err).message}`, delivered: 0, badCursor: false };
      }
      this.child = undefined;
      if (this.stopping) break;
      if (r.badCursor) {
        r.reason += ` (cursor ${this.cursor} dropped)`;
        this.cursor = undefined;
      }
      this.status.set({ ok: false, reason: r.reason });
      if (r.delivered > 0 || Date.now() - started >= RESET_BACKOFF_AFTER_MS) delay = this.restartMs;
      await this.sleep(delay);
      delay = Math.min(delay * 2, this.maxRestartMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  private async runOnce(): Promise<RunResult> {
    const command = this.opts.command ?? 'journalctl';
    const args = this.args();
    const startCursor = this.cursor;
    this.counters.runs++;
    this.batch = [];
    this.readCursor = this.cursor;
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let spawnError: Error | undefined;
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('error', (err) => {
        spawnError = err;
        if (child.pid === undefined) resolve({ code: null, signal: null });
      });
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      stderr = (stderr + s).slice(-4096);
    });
    const healthy = setTimeout(() => {
      if (!this.stopping) this.status.set({ ok: true });
    }, HEALTHY_AFTER_MS);

    const sp = new LineSplitter(64 * 1024, MAX_JSON_LINE);
    sp.reset(0);
    let delivered = 0;
    this.armIdle();
    try {
      const out = child.stdout!;
      for await (const data of out) {
        const chunk = data as Buffer;
        clearTimeout(this.idle);
        this.status.set({ ok: true });
        for (let off = 0; off < chunk.length; ) {
          const t = sp.readTarget();
          const n = Math.min(t.length, chunk.length - off);
          chunk.copy(sp.buffer, t.offset, off, off + n);
          off += n;
          for (const line of sp.scan(n).lines) {
            this.take(line);
            if (this.batch.length >= this.maxBatch) delivered += await this.flush();
          }
        }
        if (out.readableLength === 0) {
          delivered += await this.flush();
          this.armIdle();
        }
      }
    } catch (err) {
      spawnError ??= asError(err);
    }
    clearTimeout(this.idle);
    delivered += await this.flush();
    const { code, signal } = await closed;
    clearTimeout(healthy);

    const lastErr = stderr.trim().split('\n').pop()?.trim() ?? '';
    let reason: string;
    if (spawnError && child.pid === undefined) reason = `cannot run ${command}: ${spawnError.message}`;
    else if (signal) reason = `${command} was killed by ${signal}`;
    else reason = `${command} exited with code ${code}`;
    if (lastErr) reason += `: ${lastErr}`;
    const badCursor = startCursor !== undefined && delivered === 0 && code !== 0 && /cursor/i.test(stderr);
    return { reason, delivered, badCursor };
  }

  /** Parses one output line into the batch. */
  private take(line: string): void {
    if (!line.startsWith('{')) return; // not an entry (a marker journalctl printed anyway)
    const r = parseJournalLine(line);
    if (!r) {
      this.counters.invalid++;
      return;
    }
    this.readCursor = r.cursor;
    const e = r.entry;
    const end = this.end;
    if (end && !this.passedEnd && (r.cursor === end.cursor || (e !== undefined && e.time > end.time))) this.passedEnd = true;
    if (!e) return;
    const cut = cutUtf8(e.message, this.maxMessage);
    if (cut !== undefined) {
      e.message = cut;
      this.counters.truncated++;
    }
    this.batch.push(e);
  }

  /** Delivers the batch (or just a moved cursor); returns how many entries it delivered. */
  private async flush(): Promise<number> {
    if (this.stopping || this.readCursor === undefined) return 0;
    if (this.batch.length === 0 && this.readCursor === this.cursor) return 0;
    const entries = this.batch;
    this.batch = [];
    this.cursor = this.readCursor;
    this.counters.entries += entries.length;
    if (entries.length) {
      this.progressed.from ??= entries[0]!.time;
      this.progressed.at = entries[entries.length - 1]!.time;
    }
    await callBatch(this.opts, entries, { cursor: this.cursor });
    if (this.passedEnd) this.caughtUpNow();
    return entries.length;
  }

  /** With the backlog's end unknown: caught up once journalctl has been silent IDLE_MS. */
  private armIdle(): void {
    if (this.isCaughtUp || this.end !== undefined || this.stopping) return;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.caughtUpNow(), IDLE_MS);
    this.idle.unref();
  }

  private caughtUpNow(): void {
    if (this.isCaughtUp) return;
    this.isCaughtUp = true;
    clearTimeout(this.idle);
    this.reachedEnd();
  }
}
