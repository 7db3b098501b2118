// Follows a log file the way `tail -F` does, but with positions that can be
// checkpointed: every batch of complete lines comes with the device, inode and
// byte offset just after its last line, and a follower given that position
// resumes exactly there, even if the file was rotated in the meantime.
//
// Reading: positional reads of large chunks on one file descriptor, split into
// lines (see lines.ts), delivered in batches of at most maxBatchLines; the next
// read waits for the consumer's promise. At the end of the data, the follower
// polls every pollMs: is the descriptor's file still the one at `path`, and has
// it been truncated?
//
// Rotation by rename: once another file is at `path`, the old descriptor is
// drained to its end; the switch happens when a poll at least ROTATE_QUIET_MS
// after the new file was first seen finds nothing more in the old file (a
// writer that opened the old file just before the rename gets to finish), or
// after ROTATE_MAX_WAIT_MS in any case. The last line of the old file is then
// delivered even without its newline, and the new file is read from offset 0.
// Lines written to the old file after the switch are lost (a writer that never
// reopens its log); so are the lines of a file that was rotated in and out again
// between two polls (two rotations within one poll interval).
//
// Copytruncate: the follower keeps the last 128 bytes it read and checks,
// after each read, that the file still holds them just before the read offset.
// When the file got shorter than the offset, or holds something else there
// (truncated and already written past the old offset), it looks for the copy in
// the same directory (a file named like the log, e.g. mail.log.1, holding those
// same bytes at the same offset), reads the copy from the offset to its end, then
// the live file from 0. If no copy is found (compressed at once, or elsewhere),
// the lines written after the last read and before the copy are lost. Lines
// written between the copy and the truncation are lost in every case: they are
// in neither file (the race is logrotate's; it is why copytruncate is not
// recommended). No line is delivered twice.
//
// Restart from a saved position (file-open.ts): the file is recognised by
// device, inode and the `check` bytes (the 32 bytes before the offset when the
// position was taken; a position without them needs a newline just before the
// offset). The same file at `path` resumes at the offset; the same inode but
// shorter or with other bytes there (truncated or rewritten while we were down,
// or the inode number reused by a new file) is read from 0, after the rest of
// its copy if a copytruncate left one (found as above, by the check bytes);
// another inode at `path` means a rotation while we were down: the old inode is
// looked for in the directory (path.1, path-20261129, ...) and read from the
// offset to its end, then the file at `path` from 0. If it was rotated more
// than once, the rotated files written after it (file.1 after file.2,
// file-20261129 after file-20261128: see newerRotations) are read before that,
// oldest first, each from 0; a restart in the middle resumes in one of them and
// goes on the same way. Compressed ones are skipped and counted. Inode numbers
// are compared as JavaScript numbers (exact up to 2^53).

import { promises as fsp, type Stats } from 'node:fs';
import { FileOpener, type Start } from './file-open.js';
import { TailGuard, findCopy, readCheck } from './file-probe.js';
import type { FoundFile } from './file-probe.js';
import { LineSplitter } from './lines.js';
import {
  DEFAULT_MAX_BATCH_LINES,
  DEFAULT_MAX_LINE_BYTES,
  StatusReporter,
  asError,
  callBatch,
  type FilePosition,
  type Follower,
  type FollowerCallbacks,
} from './types.js';

export type { FilePosition } from './types.js';

export interface FileFollowerOptions extends FollowerCallbacks<string, FilePosition> {
  /** Read the whole file first (default: start at its end). Ignored when `position` is given. */
  fromStart?: boolean;
  /** Resume from a checkpoint. */
  position?: FilePosition;
  /** Interval between checks for new data, rotation and truncation (default 250 ms). */
  pollMs?: number;
  /** Most lines per batch (default 10,000). */
  maxBatchLines?: number;
  /** Longer lines are cut to this many bytes and counted as truncated (default 64 KiB). */
  maxLineBytes?: number;
  /** Size of each read (default 1 MiB). */
  chunkBytes?: number;
}

export interface FileFollowerStats {
  /** lines delivered */
  lines: number;
  /** bytes read (from any file) */
  bytes: number;
  /** lines cut to maxLineBytes */
  truncatedLines: number;
  /** switches to a new file at the path after a rotation by rename (or to the next one when catching up) */
  rotations: number;
  /** truncations seen (copytruncate), while running or while down */
  truncations: number;
  /** compressed rotated files that a restart would have read (their lines are lost) */
  skippedCompressed: number;
}

const ROTATE_QUIET_MS = 100;
const ROTATE_MAX_WAIT_MS = 5000;
const MISSING_GRACE_MS = 5000;
const MAX_BATCH_CHARS = 16 * 1024 * 1024;

interface Current {
  fh: fsp.FileHandle;
  dev: number;
  ino: number;
  path: string;
  size: number;
  /** no longer at `path` and written by nobody (a copytruncate copy): switch at its end */
  detached: boolean;
}

export class FileFollower implements Follower<FilePosition> {
  private readonly pollMs: number;
  private readonly maxBatchLines: number;
  private readonly maxLineBytes: number;
  private readonly splitter: LineSplitter;
  private readonly status: StatusReporter;
  private readonly counters: FileFollowerStats = { lines: 0, bytes: 0, truncatedLines: 0, rotations: 0, truncations: 0, skippedCompressed: 0 };
  private begin: Start;
  private cur: Current | undefined;
  private pos: FilePosition | undefined;
  private readonly tail = new TailGuard();
  private batch: string[] = [];
  private batchChars = 0;
  private batchEnd = 0;
  /** offset in the current file after the last delivered line (or where reading started) */
  private done = 0;
  private announce = false;
  private rotationSeen: number | undefined;
  private missingSince: number | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private readonly opener: FileOpener;
  private reachedEnd!: () => void;
  private readonly atEnd = new Promise<void>((resolve) => (this.reachedEnd = resolve));

  constructor(
    readonly path: string,
    private readonly opts: FileFollowerOptions,
  ) {
    this.pollMs = Math.max(1, opts.pollMs ?? 250);
    this.maxBatchLines = Math.max(1, opts.maxBatchLines ?? DEFAULT_MAX_BATCH_LINES);
    this.maxLineBytes = Math.max(16, opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
    this.splitter = new LineSplitter(Math.max(4096, opts.chunkBytes ?? 1024 * 1024), this.maxLineBytes);
    this.status = new StatusReporter(opts.onStatus);
    this.opener = new FileOpener(path, this.maxLineBytes, this.counters, (f, offset, detached) => this.use(f, offset, detached));
    if (opts.position) this.begin = { kind: 'at', position: { ...opts.position } };
    else this.begin = opts.fromStart ? { kind: 'start' } : { kind: 'end' };
  }

  start(): void {
    if (this.running || this.stopping) return;
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.running;
    await this.closeCurrent();
  }

  position(): FilePosition | undefined {
    return this.pos ? { ...this.pos } : undefined;
  }

  /** Delivered offset and size of the file being read (for a progress bar). */
  progress(): { offset: number; size: number } {
    const offset = this.pos?.offset ?? 0;
    const size = this.cur ? Math.max(this.cur.size, this.splitter.readOffset) : offset;
    return { offset, size };
  }

  stats(): FileFollowerStats {
    return { ...this.counters };
  }

  /** Resolves the first time reading reaches the end of the data: a backfill is over, following begins. */
  caughtUp(): Promise<void> {
    return this.atEnd;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let again = false;
      try {
        if (!this.cur) await this.open();
        if (this.cur && !this.stopping) again = await this.pump();
      } catch (err) {
        await this.failed(err);
      }
      if (!again && !this.stopping) await this.sleep(this.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  // ---- opening (see file-open.ts) --------------------------------------------

  private async open(): Promise<void> {
    const miss = await this.opener.open(this.begin);
    if (!miss) return;
    this.begin = miss.retry;
    const code = (miss.error as NodeJS.ErrnoException | undefined)?.code;
    this.status.set(code ? { ok: false, reason: `${this.path}: ${asError(miss.error).message}`, code } : { ok: false, reason: `${this.path}: ${asError(miss.error).message}` });
  }

  private async use(f: FoundFile, offset: number, detached: boolean): Promise<void> {
    this.cur = { fh: f.fh, dev: f.stat.dev, ino: f.stat.ino, path: f.path, size: f.stat.size, detached };
    this.begin = { kind: 'start' };
    this.splitter.reset(offset);
    this.batch = [];
    this.batchChars = 0;
    this.batchEnd = this.done = offset;
    this.announce = true;
    this.rotationSeen = this.missingSince = undefined;
    await this.tail.load(f.fh, offset);
    this.status.set({ ok: true });
  }

  // ---- reading ---------------------------------------------------------------

  /** Reads to the end of the data, then checks the path; true to go on without waiting. */
  private async pump(): Promise<boolean> {
    const got = await this.drain();
    if (this.stopping || !this.cur) return false;
    return this.checkPath(got);
  }

  private async drain(): Promise<number> {
    const sp = this.splitter;
    let got = 0;
    while (!this.stopping) {
      const cur = this.cur!;
      const t = sp.readTarget();
      const at = sp.readOffset;
      const { bytesRead: n } = await cur.fh.read(sp.buffer, t.offset, t.length, at);
      if (n === 0) {
        const st = await cur.fh.stat();
        cur.size = st.size;
        if (st.size < at) {
          await this.truncated();
          continue;
        }
        await this.flush();
        this.reachedEnd();
        return got;
      }
      if (!(await this.tail.intact(cur.fh, at))) {
        await this.truncated();
        continue;
      }
      got += n;
      this.counters.bytes += n;
      this.tail.keep(sp.buffer, t.offset, n);
      if (at + n > cur.size) cur.size = at + n;
      const r = sp.scan(n);
      this.counters.truncatedLines += r.truncated;
      const { lines, ends } = r;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        this.batch.push(line);
        this.batchChars += line.length;
        this.batchEnd = ends[i]!;
        if (this.batch.length >= this.maxBatchLines || this.batchChars >= MAX_BATCH_CHARS) {
          await this.flush();
          if (this.stopping) return got;
        }
      }
    }
    return got;
  }

  /** The current file was truncated (copytruncate): finish from its copy if found, else restart at 0. */
  private async truncated(): Promise<void> {
    const cur = this.cur!;
    this.counters.truncations++;
    const copy = await findCopy(this.path, cur.ino, this.splitter.readOffset, this.tail.bytes);
    if (copy) {
      // The copy holds the same bytes up to the read offset, so the pending batch
      // and partial line carry over; positions now name the copy's inode.
      await cur.fh.close().catch(() => {});
      this.cur = { fh: copy.fh, dev: copy.stat.dev, ino: copy.stat.ino, path: copy.path, size: copy.stat.size, detached: true };
      this.begin = { kind: 'start' };
      this.announce = true;
      return;
    }
    await this.finishFile();
    this.splitter.reset(0);
    this.tail.clear();
    this.batchEnd = this.done = 0;
    this.announce = true;
  }

  /** Delivers what is left of the current file, the last line even without its newline. */
  private async finishFile(): Promise<void> {
    const p = this.splitter.takePartial();
    if (p) {
      this.batch.push(p.line);
      this.batchEnd = p.end;
      if (p.truncated) this.counters.truncatedLines++;
    }
    await this.flush();
  }

  private async flush(): Promise<void> {
    const cur = this.cur;
    if (!cur || this.stopping) return;
    if (this.batch.length === 0 && !this.announce) return;
    const lines = this.batch;
    this.batch = [];
    this.batchChars = 0;
    this.announce = false;
    const position: FilePosition = { dev: cur.dev, ino: cur.ino, offset: this.batchEnd };
    const check = await readCheck(cur.fh, this.batchEnd).catch(() => undefined);
    if (check !== undefined) position.check = check;
    this.pos = position;
    this.done = this.batchEnd;
    this.counters.lines += lines.length;
    await callBatch(this.opts, lines, { ...position });
  }

  /** At the end of the data: is another file at the path now? True to switch to it at once. */
  private async checkPath(got: number): Promise<boolean> {
    const cur = this.cur!;
    let st: Stats | undefined;
    try {
      st = await fsp.stat(this.path);
    } catch {
      st = undefined;
    }
    if (st && st.dev === cur.dev && st.ino === cur.ino) {
      this.rotationSeen = this.missingSince = undefined;
      this.status.set({ ok: true });
      return false;
    }
    const now = Date.now();
    if (!cur.detached) {
      if (!st) {
        // Renamed or deleted and not recreated yet: keep reading the old file.
        this.missingSince ??= now;
        if (now - this.missingSince >= MISSING_GRACE_MS) {
          const still = cur.path === this.path ? 'the previous file' : cur.path;
          this.status.set({ ok: false, reason: `${this.path}: missing (still reading ${still})` });
        }
        return false;
      }
      this.missingSince = undefined;
      if (this.rotationSeen === undefined) {
        this.rotationSeen = now;
        return false;
      }
      const waited = now - this.rotationSeen;
      if (!((got === 0 && waited >= ROTATE_QUIET_MS) || waited >= ROTATE_MAX_WAIT_MS)) return false;
      this.counters.rotations++;
    }
    await this.finishFile();
    if (this.stopping) return false;
    await this.closeCurrent();
    this.begin = { kind: 'start' };
    return true;
  }

  private async failed(err: unknown): Promise<void> {
    this.status.set({ ok: false, reason: `${this.path}: ${asError(err).message}` });
    const cur = this.cur;
    if (!cur) return;
    // Reopen later and resume after the last delivered line.
    const p = this.pos;
    const check = p && p.dev === cur.dev && p.ino === cur.ino && p.offset === this.done ? p.check : undefined;
    this.begin = { kind: 'at', position: { dev: cur.dev, ino: cur.ino, offset: this.done, ...(check ? { check } : {}) } };
    this.batch = [];
    this.batchChars = 0;
    await this.closeCurrent();
  }

  private async closeCurrent(): Promise<void> {
    const cur = this.cur;
    this.cur = undefined;
    await cur?.fh.close().catch(() => {});
  }
}
