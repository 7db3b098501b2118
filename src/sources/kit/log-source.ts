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
// (e.g. declare an application a queue needs) before `follow()` starts reading.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { systemClock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { Application, MailSystem, OperStatus, SourceInput } from '../../model/mail-system.js';
import { restoreModel, snapshotModel, type ModelSnapshot } from '../../model/persist.js';
import { Checkpoint } from '../../state/checkpoint.js';
import { CheckpointSaver, type SaverClock } from '../../state/checkpoint-saver.js';
import { FileFollower, JournalFollower, type FilePosition, type FollowerStatus, type JournalEntry, type JournalPosition } from '../tail/index.js';

/** What a source plugs into a LogSource: it understands lines and keeps in-flight state. */
export interface LogReader<State extends object> {
  /** applies one line of a log file; false when it was not understood (madmanSourceUnparsedLines) */
  line(text: string): boolean;
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

/** A LogSource's checkpoint: the reader's keys beside the model, the counts and the position. */
export type LogCheckpoint<State extends object> = State & {
  version: 1;
  model: ModelSnapshot;
  /** madmanSourceLines and madmanSourceUnparsedLines (absent from checkpoints older than the kit) */
  lines?: number;
  unparsed?: number;
  position?: LogPosition;
};

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
  /** the log became unreadable (`ok: false`, once per distinct reason) or readable again */
  onStatus?(status: FollowerStatus): void;
  /** time of checkpoint saves (tests) */
  clock?: SaverClock;
}

export class LogSource<State extends object, R extends LogReader<State>> {
  /** lines (or journal entries) read, and those the reader did not understand */
  lines = 0;
  unparsed = 0;
  /** the checkpoint this start resumed from */
  resumed = false;
  private readerObj?: R;
  private inputRow?: SourceInput;
  private follower?: FileFollower | JournalFollower;
  private following = false;
  private backfilled = false;
  private savedPosition?: LogPosition;
  private progressTimer?: NodeJS.Timeout;
  private readonly checkpointFile: Checkpoint<LogCheckpoint<State>>;
  private readonly saver: CheckpointSaver<LogCheckpoint<State>, LogPosition>;

  constructor(
    private readonly model: MailSystem,
    private readonly log: Logger,
    private readonly opts: LogSourceOptions<State, R>,
  ) {
    if (!opts.log.file && !opts.log.journal) throw new Error(`${opts.input}: neither a file nor the journal`);
    this.checkpointFile = new Checkpoint(opts.stateDir, opts.checkpoint, (v): v is LogCheckpoint<State> => {
      const o = v as Record<string, unknown> | null;
      return typeof o === 'object' && o !== null && o.version === 1 && typeof o.model === 'object' && o.model !== null && opts.isState(o);
    });
    this.saver = new CheckpointSaver(this.checkpointFile, (p) => this.body(p), log, (at) => {
      if (this.inputRow) this.inputRow.lastCheckpoint = at;
    }, opts.clock);
  }

  /** The reader (after open()). */
  get reader(): R {
    if (!this.readerObj) throw new Error(`${this.opts.input}: open() first`);
    return this.readerObj;
  }

  /** The log's madmanSourceTable row (after open()). */
  get input(): SourceInput {
    if (!this.inputRow) throw new Error(`${this.opts.input}: open() first`);
    return this.inputRow;
  }

  /** Restores the checkpoint (if any) into the model and a new reader; registers the log's row. */
  open(): R {
    const saved = this.checkpointFile.load();
    let state: State | undefined;
    if (saved) {
      // Counters first: the reader's restore re-opens the sessions still open on these rows.
      restoreModel(this.model, saved.model);
      const { version: _v, model: _m, lines, unparsed, position, ...rest } = saved;
      state = rest as unknown as State;
      const legacy = lines === undefined ? this.opts.legacyCounts?.(state) : undefined;
      this.lines = lines ?? legacy?.lines ?? 0;
      this.unparsed = unparsed ?? legacy?.unparsed ?? 0;
      this.savedPosition = position;
      this.resumed = true;
      this.log.info({ file: this.checkpointFile.file, lines: this.lines }, 'resumed from checkpoint');
    }
    this.readerObj = this.opts.reader(state);
    const j = this.opts.log.journal;
    if (j && !this.readerObj.entry) throw new Error(`${this.opts.input}: this reader cannot read journal entries`);
    this.inputRow = this.model.addInput(this.opts.input, j ? `journal${j.unit ? ` ${j.unit}` : ''}` : this.opts.log.file!);
    this.counted();
    return this.readerObj;
  }

  /** Reads the rotated files `backfill` names, when backfilling (--from-start, no checkpoint); once. */
  async backfill(): Promise<void> {
    if (!this.readerObj) this.open();
    if (this.backfilled || !this.opts.backfill || !this.opts.fromStart || this.resumed) return;
    this.backfilled = true;
    for (const f of await this.opts.backfill()) await this.readWhole(f);
  }

  /** Backfills if asked (and not done), then follows the log (reading starts at once; this does not wait for lines). */
  async follow(): Promise<void> {
    await this.backfill();
    const reader = this.readerObj!;
    const fromStart = this.opts.fromStart && !this.resumed;
    const onStatus = (s: FollowerStatus) => this.status(s);
    const onError = (err: Error) => this.log.error({ err: err.message }, `applying ${this.opts.input} lines failed`);
    const j = this.opts.log.journal;
    const pos = this.savedPosition;
    if (j) {
      this.follower = new JournalFollower({
        units: j.unit ? [j.unit] : undefined,
        identifiers: j.unit ? undefined : j.identifiers,
        fromStart,
        position: pos && 'cursor' in pos ? pos : undefined,
        onStatus,
        onError,
        onBatch: (entries, p) => {
          for (const e of entries) {
            this.lines++;
            if (!reader.entry!(e)) this.unparsed++;
          }
          this.counted();
          this.saver.saved(p, entries.length === 0);
        },
      });
    } else {
      const follower = new FileFollower(this.opts.log.file!, {
        fromStart,
        position: pos && 'ino' in pos ? pos : undefined,
        onStatus,
        onError,
        onBatch: (lines, p) => {
          for (const l of lines) {
            this.lines++;
            if (!reader.line(l)) this.unparsed++;
          }
          this.counted();
          this.saver.saved(p, lines.length === 0);
        },
      });
      this.follower = follower;
      if (fromStart && process.stderr.isTTY) this.showProgress(follower);
    }
    this.following = true;
    this.follower.start();
  }

  /** Saves the checkpoint now (after a change outside the log, e.g. a `counters clear`). */
  save(): void {
    this.saver.save(this.follower?.position() ?? this.savedPosition);
  }

  /** Stops following and saves the final checkpoint (none when reading never started). */
  async stop(): Promise<void> {
    clearInterval(this.progressTimer);
    await this.follower?.stop();
    if (this.following) this.saver.flush(this.follower?.position());
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

  private counted(): void {
    const i = this.inputRow;
    if (!i) return;
    i.lines = this.lines;
    i.unparsed = this.unparsed;
  }

  private status(s: FollowerStatus): void {
    const i = this.inputRow;
    if (!i) return;
    const wasOk = i.ok;
    this.model.inputStatus(i, s.ok, s.ok ? '' : s.reason);
    if (!s.ok) this.log.error({ log: i.input, reason: s.reason }, `${this.opts.input} unreadable; retrying`);
    else if (!wasOk) this.log.warn({ log: i.input }, `${this.opts.input} readable again`);
    this.opts.onStatus?.(s);
  }

  /** What is checkpointed (by the saver, at most once a second and at stop). */
  private body(position: LogPosition | undefined): LogCheckpoint<State> | undefined {
    const r = this.readerObj;
    if (!r) return undefined;
    return {
      version: 1,
      model: snapshotModel(this.model, this.opts.owns),
      ...r.state(),
      lines: this.lines,
      unparsed: this.unparsed,
      position,
    } as LogCheckpoint<State>;
  }

  /** A rotated file, start to end (backfill only: it is written no more). */
  private async readWhole(file: string): Promise<void> {
    const reader = this.readerObj!;
    const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const l of rl) {
      this.lines++;
      if (!reader.line(l)) this.unparsed++;
    }
    this.counted();
    this.log.info({ file }, 'backfilled');
  }

  private showProgress(f: FileFollower): void {
    const draw = () => {
      const { offset, size } = f.progress();
      const pct = size ? Math.min(100, Math.floor((offset * 100) / size)) : 100;
      const bar = '#'.repeat(Math.floor(pct / 4)).padEnd(25, '.');
      process.stderr.write(`\rreading ${f.path} [${bar}] ${pct}%`);
      if (pct >= 100) {
        process.stderr.write('\n');
        clearInterval(this.progressTimer);
      }
    };
    this.progressTimer = setInterval(draw, 200);
    this.progressTimer.unref();
  }
}
