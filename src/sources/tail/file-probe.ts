// Questions the file follower asks the file system: is this still the file a
// saved position was taken in (and may we resume there)? Where is a log file's
// earlier self after a rotation by rename (same device and inode, e.g. file.1)
// or after a copytruncate (a file named like it holding, just before the offset
// we had reached, the bytes we last read)? After a restart, which rotated files
// were written after the one we resume in (file.2, then file.1; file-20261128,
// then file-20261129)?

import { constants, promises as fsp, type BigIntStats, type Stats } from 'node:fs';
import path from 'node:path';

export interface FoundFile {
  path: string;
  fh: fsp.FileHandle;
  stat: Stats;
}

/** What a path holds when it is not a regular file, in words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** A path that is not a regular file: a log cannot be followed there. */
export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG';
}

/**
 * Opens a regular file for reading, never blocking. The path is looked at first
 * (stat never blocks) and anything but a regular file is refused with
 * NotRegularFileError; the open itself uses O_NONBLOCK, so a FIFO swapped in
 * meanwhile (whose plain open would wait for a writer, holding a thread of libuv's
 * pool, and the process with it, for ever) returns at once and is refused after
 * fstat. O_NONBLOCK changes nothing for reads of a regular file.
 */
export async function openRegular(p: string): Promise<{ fh: fsp.FileHandle; stat: Stats }> {
  const before = await fsp.stat(p);
  if (!before.isFile()) throw new NotRegularFileError(`${kindOf(before)}, not a regular file (only regular files can be followed)`);
  const fh = await fsp.open(p, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  let st: Stats;
  try {
    st = await fh.stat();
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
  if (!st.isFile()) {
    await fh.close().catch(() => {});
    throw new NotRegularFileError(`${kindOf(st)}, not a regular file (only regular files can be followed)`);
  }
  return { fh, stat: st };
}

/** Directory entries, those whose name starts with the log's own name first. */
async function candidates(file: string): Promise<string[]> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return [];
  }
  const mine = names.filter((n) => n !== base && n.startsWith(base)).sort();
  const others = names.filter((n) => n !== base && !n.startsWith(base));
  return [...mine, ...others].map((n) => path.join(dir, n));
}

/** The regular file in `file`'s directory that has this device and inode (e.g. file.1), opened. */
export async function findByInode(file: string, dev: number, ino: number): Promise<FoundFile | undefined> {
  for (const p of await candidates(file)) {
    let st: Stats;
    try {
      st = await fsp.stat(p);
    } catch {
      continue;
    }
    if (!st.isFile() || st.dev !== dev || st.ino !== ino) continue;
    let opened;
    try {
      opened = await openRegular(p);
    } catch {
      return undefined;
    }
    if (opened.stat.dev === dev && opened.stat.ino === ino) return { path: p, ...opened };
    await opened.fh.close().catch(() => {});
    return undefined;
  }
  return undefined;
}

/** A file to read later, known by device and inode (it may be renamed meanwhile). */
export interface FileId {
  path: string;
  dev: number;
  ino: number;
}

/** `want` opened: still at its path, or renamed within `file`'s directory (found by inode). */
export async function reopen(file: string, want: FileId): Promise<FoundFile | undefined> {
  try {
    const { fh, stat: st } = await openRegular(want.path);
    if (st.dev === want.dev && st.ino === want.ino) return { path: want.path, fh, stat: st };
    await fh.close().catch(() => {});
  } catch {
    // gone, or renamed: look for it
  }
  return findByInode(file, want.dev, want.ino);
}

const COMPRESSED = /\.(?:gz|xz|bz2|zst)$/;

interface Rotated {
  name: string;
  /** N for `file.N` (or `file.N.gz`), logrotate's numbered scheme */
  num: number | undefined;
  mtime: bigint;
}

function rotated(base: string, name: string, st: BigIntStats): Rotated {
  const m = name.startsWith(base) ? /^\.(\d+)$/.exec(name.slice(base.length).replace(COMPRESSED, '')) : null;
  return { name, num: m ? Number(m[1]) : undefined, mtime: st.mtimeNs };
}

/**
 * Oldest first. Two numbered names by their number (file.2 was written before
 * file.1, whatever the mtimes say: logrotate shifts them); others by mtime, then
 * by name (file-20261128 before file-20261129).
 */
function rotationOrder(a: Rotated, b: Rotated): number {
  if (a.num !== undefined && b.num !== undefined && a.num !== b.num) return b.num - a.num;
  if (a.mtime !== b.mtime) return a.mtime < b.mtime ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The rotated files of the log `file` written after `from` (a rotated file of it
 * being read), oldest first: regular files in its directory named `file.*` or
 * `file-*`, neither `from` nor `live`. Compressed ones (.gz, .xz, .bz2, .zst)
 * cannot be read: they are returned apart.
 */
export async function newerRotations(
  file: string,
  from: FoundFile,
  live: { dev: number; ino: number } | undefined,
): Promise<{ files: FileId[]; compressed: string[] }> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const self = await from.fh.stat({ bigint: true });
  const ref = rotated(base, path.basename(from.path), self);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return { files: [], compressed: [] };
  }
  const seen = new Set<string>([`${self.dev}:${self.ino}`, ...(live ? [`${live.dev}:${live.ino}`] : [])]);
  const later: (Rotated & FileId)[] = [];
  const compressed: string[] = [];
  for (const name of names.sort()) {
    if (!name.startsWith(base) || !/^[.-]./.test(name.slice(base.length))) continue;
    const p = path.join(dir, name);
    const st = await fsp.lstat(p, { bigint: true }).catch(() => undefined);
    if (!st || !st.isFile() || seen.has(`${st.dev}:${st.ino}`)) continue;
    seen.add(`${st.dev}:${st.ino}`);
    const r = rotated(base, name, st);
    if (rotationOrder(r, ref) <= 0) continue; // written before the file we resume in
    if (COMPRESSED.test(name)) compressed.push(p);
    else later.push({ ...r, path: p, dev: Number(st.dev), ino: Number(st.ino) });
  }
  later.sort(rotationOrder);
  return { files: later.map((r) => ({ path: r.path, dev: r.dev, ino: r.ino })), compressed };
}

/**
 * After a copytruncate: a regular file named like `file` (file.1, file-20261129),
 * not the inode `liveIno`, at least `offset` bytes long, whose bytes just before
 * `offset` equal `tail`. Only names starting with the log's name are considered.
 */
export async function findCopy(file: string, liveIno: number, offset: number, tail: Buffer): Promise<FoundFile | undefined> {
  if (tail.length === 0) return undefined;
  const base = path.basename(file);
  const probe = Buffer.alloc(tail.length);
  for (const p of await candidates(file)) {
    if (!path.basename(p).startsWith(base)) break;
    let fh: fsp.FileHandle | undefined;
    try {
      const opened = await openRegular(p);
      fh = opened.fh;
      const st = opened.stat;
      if (st.ino !== liveIno && st.size >= offset) {
        const { bytesRead } = await fh.read(probe, 0, tail.length, offset - tail.length);
        if (bytesRead === tail.length && probe.equals(tail)) return { path: p, fh, stat: st };
      }
    } catch {
      // unreadable candidate: not it
    }
    await fh?.close().catch(() => {});
  }
  return undefined;
}

const LF = 0x0a;
/** Bytes before the offset kept in a position to recognise the file (base64). */
export const CHECK_BYTES = 32;

/** Base64 of the (up to) CHECK_BYTES bytes before `offset`, or undefined at 0 or on a short read. */
export async function readCheck(fh: fsp.FileHandle, offset: number): Promise<string | undefined> {
  const n = Math.min(CHECK_BYTES, offset);
  if (n <= 0) return undefined;
  const b = Buffer.alloc(n);
  const { bytesRead } = await fh.read(b, 0, n, offset - n);
  return bytesRead === n ? b.toString('base64') : undefined;
}

/**
 * May reading resume at `offset` in this file (of `size` bytes)? With `check`
 * (the bytes before the offset when the position was saved) they must be there
 * still; without it, the offset must be the end of the file or follow a newline.
 */
export async function canResume(fh: fsp.FileHandle, size: number, offset: number, check: string | undefined): Promise<boolean> {
  if (offset <= 0) return true;
  if (offset > size) return false;
  if (check !== undefined) return (await readCheck(fh, offset)) === check;
  if (offset === size) return true;
  const b = Buffer.alloc(1);
  const { bytesRead } = await fh.read(b, 0, 1, offset - 1);
  return bytesRead === 1 && b[0] === LF;
}

/** Offset just after the last newline in the last `window` bytes: 0 if a short file has none, else `size`. */
export async function lastLineBoundary(fh: fsp.FileHandle, size: number, window: number): Promise<number> {
  const n = Math.min(size, window);
  if (n === 0) return size;
  const b = Buffer.alloc(n);
  const { bytesRead } = await fh.read(b, 0, n, size - n);
  const nl = b.subarray(0, bytesRead).lastIndexOf(LF);
  if (nl >= 0) return size - n + nl + 1;
  return n === size ? 0 : size;
}

/**
 * The last bytes read from a file, to tell whether the file still holds them just
 * before the read offset (it does not after a copytruncate, even once regrown).
 */
export class TailGuard {
  static readonly SIZE = 128;
  private readonly tail = Buffer.alloc(TailGuard.SIZE);
  private readonly probe = Buffer.alloc(TailGuard.SIZE);
  private len = 0;

  get bytes(): Buffer {
    return this.tail.subarray(0, this.len);
  }

  clear(): void {
    this.len = 0;
  }

  /** Starts from the bytes before `offset` in the file. */
  async load(fh: fsp.FileHandle, offset: number): Promise<void> {
    const n = Math.min(TailGuard.SIZE, offset);
    this.len = 0;
    if (n <= 0) return;
    const { bytesRead } = await fh.read(this.tail, 0, n, offset - n);
    this.len = bytesRead === n ? n : 0;
  }

  /** Adds the newest bytes read, buf[from..from+n). */
  keep(buf: Buffer, from: number, n: number): void {
    const size = TailGuard.SIZE;
    if (n >= size) {
      buf.copy(this.tail, 0, from + n - size, from + n);
      this.len = size;
      return;
    }
    const keep = Math.min(this.len, size - n);
    this.tail.copy(this.tail, 0, this.len - keep, this.len);
    buf.copy(this.tail, keep, from, from + n);
    this.len = keep + n;
  }

  /** Does the file still hold the kept bytes just before `at`? (True when none are kept.) */
  async intact(fh: fsp.FileHandle, at: number): Promise<boolean> {
    const len = this.len;
    if (len === 0) return true;
    const { bytesRead } = await fh.read(this.probe, 0, len, at - len);
    return bytesRead === len && this.probe.subarray(0, len).equals(this.bytes);
  }
}
