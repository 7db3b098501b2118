// The one way a source follows a log. A LogSource follows a file (rotation-safe) or the
// systemd journal (src/sources/tail/), hands each line or entry to the source's LogReader,
// counts the lines read and those the reader did not understand, keeps the log's
// madmanSourceTable row (ok, or failing and why), and saves the model's counters of the
// source's applications, the reader's in-flight state, the counts and the log position in
// one checkpoint (state/checkpoint.ts), at most once a second and at stop: after a crash,
// kill -9 included, the source resumes exactly after the last line the checkpoint counted.
//
// Use: `open()` restores the checkpoint (the model's counters first, then the reader's
// state, through `reader(saved)`) and returns the reader; the source may then prepare
// (e.g. declare an application a queue needs) before `follow()` starts reading. Side logs
// (Exim's rejectlog and paniclog beside its mainlog) are followed into the same reader and
// checkpoint, each with its own row, counts and position.

import { open, type FileHandle } from 'node:fs/promises';
import { systemClock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { Application, MailSystem, OperStatus, SourceInput } from '../../model/mail-system.js';
import { restoreModel, snapshotModel, type ModelSnapshot } from '../../model/persist.js';
import { Checkpoint } from '../../state/checkpoint.js';
import { CheckpointSaver, type SaverClock } from '../../state/checkpoint-saver.js';
import { FileFollower, JournalFollower, LineSplitter, trackBackfill, type BackfillReport, type FilePosition, type FollowerStatus, type JournalEntry, type JournalPosition } from '../tail/index.js';
import { DEFAULT_MAX_LINE_BYTES } from '../tail/types.js';

/** What a source plugs into a LogSource: it understands lines and keeps in-flight state. */
export interface LogReader<State extends object> {
  /**
   * Applies one line of a log file; false when it was not understood (counted in
   * madmanSourceUnparsedLines). `side` is the key of the side log it comes from (undefined:
   * the main log).
   */
  line(text: string, side?: string): boolean;
  /** applies one journal entry (needed when the source follows the journal); false when not understood */
  entry?(e: JournalEntry): boolean;
  /** its in-flight state: the keys it adds to the checkpoint (plain JSON) */
  state(): State;
}

/** Where the log is: a file, or the journal (of one unit, or of entries with these SYSLOG_IDENTIFIERs). */
export interface LogInput {
  file?: string;
  journal?: { unit?: string; identifiers?: string[] };
}

export type LogPosition = FilePosition | JournalPosition;

/** Where a followed file is, and its counts. */
export interface TrackState {
  lines: number;
  unparsed: number;
  position?: LogPosition;
  /**
   * Without a position (the checkpoint was taken before the file was opened): whether its
   * reading starts at the beginning, as that run's did (--from-start), or at the end.
   */
  fromStart?: boolean;
}

/**
 * A LogSource's checkpoint: the reader's keys beside the model, the main log's counts and
 * position, and those of each side log (reserved keys: version, model, lines, unparsed,
 * position, fromStart, side).
 */
export type LogCheckpoint<State extends object> = State & {
  version: 1;
  model: ModelSnapshot;
  /** madmanSourceLines and madmanSourceUnparsedLines (absent from checkpoints older than the kit) */
  lines?: number;
  unparsed?: number;
  position?: LogPosition;
  /** without a position (saved before the main log was opened): where its reading starts, as in that run */
  fromStart?: boolean;
  side?: Record<string, TrackState>;
};

/** A file followed beside the main log (Exim's rejectlog and paniclog), into the same reader and checkpoint. */
export interface SideLog {
  /** given to the reader with each line, and the key of its counts in the checkpoint */
  key: string;
  /** its madmanSourceTable row: `exim paniclog` */
  input: string;
  file: string;
  /** the file's absence is the normal state (Exim creates its paniclog at the first panic): its row stays ok meanwhile */
  absentOk?: boolean;
}

export interface LogSourceOptions<State extends object, R extends LogReader<State>> {
  /** the checkpoint's name: `<stateDir>/<checkpoint>.json` */
  checkpoint: string;
  /** the madmanSourceTable row: `postfix log` */
  input: string;
  log: LogInput;
  stateDir: string;
  /** --from-start: read the log from its beginning (when there is no checkpoint yet) */
  fromStart: boolean;
  /** checks the reader's keys of a checkpoint read back (a damaged file fails the start) */
  isState(v: Record<string, unknown>): boolean;
  /** makes the reader; `saved` (its keys of the checkpoint) is given after the model's counters were restored */
  reader(saved: State | undefined): R;
  /** the applications whose rows the checkpoint keeps */
  owns(app: Application): boolean;
  /** the counts of a checkpoint written before the kit (the reader's state held them) */
  legacyCounts?(saved: State): { lines: number; unparsed: number };
  /** rotated files to read whole before the log, oldest first, when backfilling (--from-start, no checkpoint) */
  backfill?(): Promise<string[]>;
  /** files followed beside the main log, each with its own row and counts, in the same checkpoint */
  side?: readonly SideLog[];
  /**
   * The main log unreadable marks the applications the checkpoint keeps down (their state is
   * unknown); readable again, those it marked are up again.
   */
  downWhileUnreadable?: boolean;
  /** a log became unreadable (`ok: false`, once per distinct reason) or readable again; `side`: which side log */
  onStatus?(status: FollowerStatus, side?: string): void;
  /** after each batch of lines (or entries) the reader has taken, before the checkpoint: work that waits for the log */
  afterBatch?(): void;
  /** time of checkpoint saves (tests) */
  clock?: SaverClock;
}

/** One followed log: its row, counts and follower. */
interface Track {
  /** undefined: the main log */
  key?: string;
  absentOk?: boolean;
  name: string;
  log: LogInput;
  row?: SourceInput;
  follower?: FileFollower | JournalFollower;
  lines: number;
  unparsed: number;
  savedPosition?: LogPosition;
  /** where reading starts when there is no position: as asked for, or as the checkpoint's run had it */
  fromStart?: boolean;
}

export class LogSource<State extends object, R extends LogReader<State>> {
  /** the checkpoint this start resumed from */
  resumed = false;
  private readerObj?: R;
  private readonly main: Track;
  private readonly sides: Track[];
  private following = false;
  private backfilled = false;
  private backfillReport?: BackfillReport;
  /** the applications downWhileUnreadable marked down */
  private markedDown = false;
  private sidesStarted = false;
  private stopping = false;
  private readonly checkpointFile: Checkpoint<LogCheckpoint<State>>;
  private readonly saver: CheckpointSaver<LogCheckpoint<State>, LogPosition>;

  constructor(
    private readonly model: MailSystem,
    private readonly log: Logger,
    private readonly opts: LogSourceOptions<State, R>,
  ) {
    if (!opts.log.file && !opts.log.journal) throw new Error(`${opts.input}: neither a file nor the journal`);
    this.main = { name: opts.input, log: opts.log, lines: 0, unparsed: 0 };
    this.sides = (opts.side ?? []).map((s) => ({ key: s.key, name: s.input, log: { file: s.file }, absentOk: s.absentOk, lines: 0, unparsed: 0 }));
    this.checkpointFile = new Checkpoint(opts.stateDir, opts.checkpoint, (v): v is LogCheckpoint<State> => {
      const o = v as Record<string, unknown> | null;
      return typeof o === 'object' && o !== null && o.version === 1 && typeof o.model === 'object' && o.model !== null && opts.isState(o);
    });
    this.saver = new CheckpointSaver(this.checkpointFile, (p) => this.body(p), log, (at) => {
      for (const t of this.tracks()) if (t.row) t.row.lastCheckpoint = at;
    }, opts.clock);
  }

  /** Lines (or journal entries) read from the main log. */
  get lines(): number {
    return this.main.lines;
  }

  /**
   * Resolves the first time the main log has been read to its end (a --from-start backfill
   * is over), once following has begun; at once for the journal, which says no such thing.
   * Work that needs what the log says (a queue reading's attribution) can be done again then.
   */
  caughtUp(): Promise<void> {
    const f = this.main.follower;
    return f instanceof FileFollower ? f.caughtUp() : Promise.resolve();
  }

  /** Lines of the main log the reader did not understand. */
  get unparsed(): number {
    return this.main.unparsed;
  }

  /** The reader (after open()). */
  get reader(): R {
    if (!this.readerObj) throw new Error(`${this.opts.input}: open() first`);
    return this.readerObj;
  }

  /** The main log's madmanSourceTable row (after open()). */
  get input(): SourceInput {
    if (!this.main.row) throw new Error(`${this.opts.input}: open() first`);
    return this.main.row;
  }

  /** Restores the checkpoint (if any) into the model and a new reader; registers the logs' rows. */
  open(): R {
    const saved = this.checkpointFile.load();
    let state: State | undefined;
    if (saved) {
      // Counters first: the reader's restore re-opens the sessions still open on these rows.
      restoreModel(this.model, saved.model);
      const { version: _v, model: _m, lines, unparsed, position, fromStart, side, ...rest } = saved;
      state = rest as unknown as State;
      const legacy = lines === undefined ? this.opts.legacyCounts?.(state) : undefined;
      this.main.lines = lines ?? legacy?.lines ?? 0;
      this.main.unparsed = unparsed ?? legacy?.unparsed ?? 0;
      this.main.savedPosition = position;
      this.main.fromStart = position ? undefined : fromStart;
      for (const t of this.sides) {
        const st = side?.[t.key!];
        if (!st) continue;
        t.lines = st.lines;
        t.unparsed = st.unparsed;
        t.savedPosition = st.position;
        t.fromStart = st.fromStart;
      }
      this.resumed = true;
      this.log.info({ file: this.checkpointFile.file, lines: this.main.lines }, 'resumed from checkpoint');
    }
    this.readerObj = this.opts.reader(state);
    const j = this.opts.log.journal;
    if (j && !this.readerObj.entry) throw new Error(`${this.opts.input}: this reader cannot read journal entries`);
    for (const t of this.tracks()) {
      const tj = t.log.journal;
      t.row = this.model.addInput(t.name, tj ? `journal${tj.unit ? ` ${tj.unit}` : ''}` : t.log.file!);
      counted(t);
    }
    return this.readerObj;
  }

  /** Reads the rotated files `backfill` names, when backfilling (--from-start, no checkpoint); once. */
  async backfill(): Promise<void> {
    if (!this.readerObj) this.open();
    if (this.backfilled || !this.opts.backfill || !this.opts.fromStart || this.resumed) return;
    this.backfilled = true;
    for (const f of await this.opts.backfill()) await this.readWhole(f);
  }

  /**
   * Backfills if asked (and not done), then follows the logs (reading starts at once; this
   * does not wait for lines). The side logs start once the main log has been read to its
   * end (or is unreadable): a backfill then meets groups in the order one reading of the
   * main log and then its side logs would, so their indexes do not depend on timing.
   */
  async follow(): Promise<void> {
    await this.backfill();
    this.startTrack(this.main);
    this.following = true;
    if (this.sides.length) void this.caughtUp().then(() => this.startSides());
  }

  /** Starts the side logs' followers (once; never after stop). */
  private startSides(): void {
    if (this.sidesStarted || this.stopping) return;
    this.sidesStarted = true;
    for (const t of this.sides) this.startTrack(t);
  }

  /** Saves the checkpoint now (after a change outside the log, e.g. a `counters clear`). */
  save(): void {
    this.saver.save(this.mainPosition());
  }

  /** Stops following and saves the final checkpoint (none when reading never started). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.backfillReport?.stop();
    await Promise.all(this.tracks().map((t) => t.follower?.stop()));
    if (this.following) this.saver.flush(this.mainPosition());
    else this.saver.cancel();
  }

  /**
   * Sets the operational status of applications (e.g. down while their log is unreadable:
   * their state is unknown), stamping lastChange when it changes.
   */
  static setStatus(apps: Iterable<Application>, status: OperStatus, at = systemClock()): void {
    for (const a of apps) {
      if (a.operStatus === status) continue;
      a.operStatus = status;
      a.lastChange = at;
    }
  }

  /** The applications of the model this source's checkpoint keeps. */
  applications(): Application[] {
    return [...this.model.applications.values()].filter((a) => this.opts.owns(a));
  }

  private tracks(): Track[] {
    return [this.main, ...this.sides];
  }

  private mainPosition(): LogPosition | undefined {
    return this.main.follower?.position() ?? this.main.savedPosition;
  }

  private startTrack(t: Track): void {
    const reader = this.readerObj!;
    // a log the checkpoint's run had not opened yet starts as it would have there
    const fromStart = t.fromStart ?? (this.opts.fromStart && !this.resumed);
    t.fromStart = fromStart;
    const onStatus = (s: FollowerStatus) => this.status(t, s);
    const onError = (err: Error) => this.log.error({ err: err.message }, `applying ${t.name} lines failed`);
    const j = t.log.journal;
    const pos = t.savedPosition;
    const key = t.key;
    if (j) {
      const follower = new JournalFollower({
        units: j.unit ? [j.unit] : undefined,
        identifiers: j.unit ? undefined : j.identifiers,
        fromStart,
        position: pos && 'cursor' in pos ? pos : undefined,
        onStatus,
        onError,
        onBatch: (entries, p) => {
          let i = 0;
          let bad = 0;
          try {
            for (; i < entries.length; i++) if (!reader.entry!(entries[i]!)) bad++;
          } finally {
            this.applied(t, entries.length, bad + entries.length - i, p);
          }
        },
      });
      t.follower = follower;
      // --from-start: the journal's backlog is reported as a file's is (tail/backfill-progress.ts)
      if (t === this.main && fromStart) this.backfillReport = trackBackfill(follower, t.name, this.log, { input: t.row?.input ?? 'journal' });
    } else {
      const follower = new FileFollower(t.log.file!, {
        fromStart,
        position: pos && 'ino' in pos ? pos : undefined,
        onStatus,
        onError,
        onBatch: (lines, p) => {
          let i = 0;
          let bad = 0;
          try {
            for (; i < lines.length; i++) if (!reader.line(lines[i]!, key)) bad++;
          } finally {
            this.applied(t, lines.length, bad + lines.length - i, p);
          }
        },
      });
      t.follower = follower;
      // --from-start: a progress bar on a terminal, two log lines otherwise (tail/backfill-progress.ts)
      if (t === this.main && fromStart) this.backfillReport = trackBackfill(follower, t.name, this.log);
    }
    t.follower.start();
  }

  /**
   * After a batch: `n` read, `bad` of them not understood (a line the reader threw on, and
   * those after it, count as not understood: the follower does not deliver them again).
   */
  private applied(t: Track, n: number, bad: number, p: LogPosition): void {
    t.lines += n;
    t.unparsed += bad;
    counted(t);
    this.opts.afterBatch?.();
    // the checkpoint takes every log's position as delivered now (batches are applied whole);
    // none before the main log has one (a checkpoint without it would skip the main log)
    const main = t === this.main ? p : this.mainPosition();
    if (main !== undefined) this.saver.saved(main, n === 0);
  }

  private status(t: Track, st: FollowerStatus): void {
    const i = t.row;
    if (!i) return;
    const s: FollowerStatus = !st.ok && t.absentOk && st.code === 'ENOENT' ? { ok: true } : st;
    const wasOk = i.ok;
    this.model.inputStatus(i, s.ok, s.ok ? '' : s.reason);
    if (!s.ok) this.log.error({ log: i.input, reason: s.reason }, `${t.name} unreadable; retrying`);
    else if (!wasOk) this.log.warn({ log: i.input }, `${t.name} readable again`);
    // an unreadable main log never reaches its end: the side logs are read meanwhile
    if (t === this.main && !s.ok) this.startSides();
    if (t === this.main && this.opts.downWhileUnreadable && (!s.ok || this.markedDown)) {
      this.markedDown = !s.ok;
      LogSource.setStatus(this.applications(), s.ok ? 'up' : 'down');
    }
    this.opts.onStatus?.(s, t.key);
  }

  /** What is checkpointed (by the saver, at most once a second and at stop). */
  private body(position: LogPosition | undefined): LogCheckpoint<State> | undefined {
    const r = this.readerObj;
    if (!r) return undefined;
    const cp = {
      version: 1,
      model: snapshotModel(this.model, this.opts.owns),
      ...r.state(),
      lines: this.main.lines,
      unparsed: this.main.unparsed,
      position,
    } as LogCheckpoint<State>;
    // a run stopped before it opened the main log: the next one starts it where this one would have
    if (!position) cp.fromStart = this.main.fromStart ?? (this.opts.fromStart && !this.resumed);
    if (this.sides.length) {
      cp.side = {};
      for (const t of this.sides) {
        const position = t.follower?.position() ?? t.savedPosition;
        cp.side[t.key!] = position ? { lines: t.lines, unparsed: t.unparsed, position } : { lines: t.lines, unparsed: t.unparsed, fromStart: t.fromStart ?? (this.opts.fromStart && !this.resumed) };
      }
    }
    return cp;
  }

  /**
   * A rotated file, start to end (backfill only: it is written no more), read as the
   * follower reads: lines cut at the same length, a line the reader throws on counted as
   * not understood. A file that cannot be read is reported and skipped: the backfill, and
   * the start of the source, go on with the next one.
   */
  private async readWhole(file: string): Promise<void> {
    const reader = this.readerObj!;
    const t = this.main;
    const splitter = new LineSplitter(1024 * 1024, DEFAULT_MAX_LINE_BYTES);
    let thrown: string | undefined;
    const take = (text: string) => {
      t.lines++;
      try {
        if (!reader.line(text)) t.unparsed++;
      } catch (err) {
        t.unparsed++;
        thrown ??= (err as Error).message;
      }
    };
    let fh: FileHandle | undefined;
    try {
      fh = await open(file, 'r');
      for (;;) {
        const { offset, length } = splitter.readTarget();
        const { bytesRead } = await fh.read(splitter.buffer, offset, length, null);
        if (bytesRead === 0) break;
        for (const text of splitter.scan(bytesRead).lines) take(text);
      }
      const last = splitter.takePartial();
      if (last) take(last.line);
    } catch (err) {
      this.log.error({ file, err: (err as Error).message }, `${t.name}: cannot backfill from this file; going on without it`);
      return;
    } finally {
      await fh?.close();
      counted(t);
    }
    if (thrown !== undefined) this.log.error({ file, err: thrown }, `applying ${t.name} lines failed`);
    this.log.info({ file }, 'backfilled');
  }
}

/** The track's counts into its madmanSourceTable row. */
function counted(t: Track): void {
  if (!t.row) return;
  t.row.lines = t.lines;
  t.row.unparsed = t.unparsed;
}
