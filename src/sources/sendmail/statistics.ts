// Sendmail's statistics file (`O StatusFile`, read by mailstats(8)): a C struct written
// whole by every sendmail process that counts (stats.c), so its layout is the writing
// machine's: int magic and version, time_t initialisation time, short struct size, then
// (8.10+) the connection counts and (per mailer, MAXMAILERS slots of C long each) messages
// and kilobytes from and to, rejected, discarded and (8.13+) quarantined messages.
//
// Layouts read, each recognised by its magic, version and struct size (which must equal
// the file's length, as mailstats and Net-SNMP's mta_sendmail also require):
//   version 4 (8.13 and later), 3 (8.10-8.12), 2 (8.9), and the magic-less 8.8 file;
//   LP64 (64-bit long and time_t), ILP32 (32-bit long and time_t) and ILP32 with a 64-bit
//   time_t (aligned on 4 as on i386, or on 8 as on 32-bit ARM); either byte order.
// An empty file (created for sendmail to count into, nothing counted yet) reads as zeros.

import { MAX_MAILERS } from './cf.js';

/** sendmail's STAT_MAGIC */
export const STAT_MAGIC = 0x1b1de;

/**
 * Sendmail's kilobytes of a message of `octets`: 1000 octets each, rounded up per message
 * (stats.c; 8.17 still counts so: a 1014-octet message adds 2).
 */
export function kbytes(octets: number): number {
  return Math.ceil(octets / 1000);
}

/**
 * How the model holds a volume counted in sendmail's kilobytes: the model's unit is the
 * octet and the MIB views serve ceil(octets / 1024) K-octets, so k sendmail kilobytes are
 * kept as k x 1024 to be served as k, the number mailstats and mta_sendmail show.
 */
export const MODEL_OCTETS_PER_KBYTE = 1024;

/** One mailer's slot. Volumes are kilobytes as sendmail counts them (kbytes()). */
export interface MailerStatistics {
  /** messages received from this mailer (msgsfr) */
  from: number;
  /** kilobytes received (bytes_from) */
  kbytesFrom: number;
  /** messages sent to this mailer, one per delivery attempt that succeeded (msgsto) */
  to: number;
  kbytesTo: number;
  /** messages refused (msgsrej): SMTP transactions with a recipient or the sender rejected */
  rejected: number;
  /** messages discarded (msgsdis) */
  discarded: number;
  /** messages quarantined (msgsqur) */
  quarantined: number;
}

export interface SendmailStatistics {
  /** 4, 3, 2, or 0 for the 8.8 file without a magic number; null when the file is empty */
  version: number | null;
  /** when the file was started (ms since the epoch); null when empty */
  initTime: number | null;
  /** the C layout recognised, e.g. "LP64 little-endian" */
  layout: string;
  /** connections from, to and rejected (8.10 and later; zeros before) */
  connections: { from: number; to: number; rejected: number };
  /** MAX_MAILERS slots, by mailer number */
  mailers: MailerStatistics[];
}

interface Abi {
  name: string;
  long: 4 | 8;
  time: 4 | 8;
  timeAlign: 4 | 8;
}

const ABIS: readonly Abi[] = [
  { name: 'LP64', long: 8, time: 8, timeAlign: 8 },
  { name: 'ILP32', long: 4, time: 4, timeAlign: 4 },
  { name: 'ILP32 time64', long: 4, time: 8, timeAlign: 4 },
  { name: 'ILP32 time64 aligned', long: 4, time: 8, timeAlign: 8 },
];

const ARRAYS = ['nf', 'bf', 'nt', 'bt', 'nr', 'nd', 'nq'] as const;
type ArrayName = (typeof ARRAYS)[number];

interface Layout {
  size: number;
  sizeAt: number;
  itimeAt: number;
  versionAt?: number;
  connAt?: number;
  arrays: Partial<Record<ArrayName, number>>;
}

const align = (off: number, a: number) => Math.ceil(off / a) * a;

/** The struct's field offsets and size for `version` (0: 8.8) under `abi`. */
function layoutOf(version: number, abi: Abi): Layout {
  let off = 0;
  let maxAlign: number = Math.max(abi.long, abi.timeAlign);
  let versionAt: number | undefined;
  if (version > 0) {
    versionAt = 4; // int stat_magic; int stat_version
    off = 8;
    maxAlign = Math.max(maxAlign, 4);
  }
  const itimeAt = align(off, abi.timeAlign);
  off = itimeAt + abi.time;
  const sizeAt = off; // short stat_size
  off += 2;
  off = align(off, abi.long);
  let connAt: number | undefined;
  if (version >= 3) {
    connAt = off;
    off += 3 * abi.long;
  }
  const names: ArrayName[] = version === 0 ? ['nf', 'bf', 'nt', 'bt'] : version === 2 || version === 3 ? ['nf', 'bf', 'nt', 'bt', 'nr', 'nd'] : [...ARRAYS];
  const arrays: Partial<Record<ArrayName, number>> = {};
  for (const n of names) {
    arrays[n] = off;
    off += MAX_MAILERS * abi.long;
  }
  return { size: align(off, maxAlign), sizeAt, itimeAt, versionAt, connAt, arrays };
}

function emptyMailer(): MailerStatistics {
  return { from: 0, kbytesFrom: 0, to: 0, kbytesTo: 0, rejected: 0, discarded: 0, quarantined: 0 };
}

/**
 * Reads a statistics file's bytes. Throws, naming what it found, when they are not one of
 * the layouts above (a torn or foreign file): the caller keeps its last good reading.
 */
export function parseStatistics(buf: Buffer): SendmailStatistics {
  if (buf.length === 0) {
    return {
      version: null,
      initTime: null,
      layout: 'empty',
      connections: { from: 0, to: 0, rejected: 0 },
      mailers: Array.from({ length: MAX_MAILERS }, emptyMailer),
    };
  }
  for (const le of [true, false]) {
    const int32 = (o: number) => (o + 4 <= buf.length ? (le ? buf.readInt32LE(o) : buf.readInt32BE(o)) : NaN);
    const magic = int32(0) === STAT_MAGIC;
    const versions = magic ? [int32(4)] : [0];
    for (const version of versions) {
      if (![0, 2, 3, 4].includes(version)) continue;
      for (const abi of ABIS) {
        const l = layoutOf(version, abi);
        if (buf.length !== l.size) continue;
        const size = le ? buf.readInt16LE(l.sizeAt) : buf.readInt16BE(l.sizeAt);
        if (size !== l.size) continue;
        return read(buf, le, abi, version, l);
      }
    }
  }
  const magic = buf.length >= 8 ? `magic 0x${buf.readUInt32LE(0).toString(16)}, version ${buf.readInt32LE(4)}` : 'too short';
  throw new Error(`not a sendmail statistics file (${buf.length} bytes, ${magic}): no known layout has this size`);
}

function read(buf: Buffer, le: boolean, abi: Abi, version: number, l: Layout): SendmailStatistics {
  const long = (o: number): number => {
    if (abi.long === 4) return le ? buf.readUInt32LE(o) : buf.readUInt32BE(o); // counts past 2^31 wrapped in C
    const v = Number(le ? buf.readBigInt64LE(o) : buf.readBigInt64BE(o));
    return v < 0 ? 0 : v;
  };
  const time = abi.time === 4 ? (le ? buf.readInt32LE(l.itimeAt) : buf.readInt32BE(l.itimeAt)) : Number(le ? buf.readBigInt64LE(l.itimeAt) : buf.readBigInt64BE(l.itimeAt));
  const slot = (name: ArrayName, i: number) => (l.arrays[name] === undefined ? 0 : long(l.arrays[name]! + i * abi.long));
  const mailers: MailerStatistics[] = [];
  for (let i = 0; i < MAX_MAILERS; i++) {
    mailers.push({
      from: slot('nf', i),
      kbytesFrom: slot('bf', i),
      to: slot('nt', i),
      kbytesTo: slot('bt', i),
      rejected: slot('nr', i),
      discarded: slot('nd', i),
      quarantined: slot('nq', i),
    });
  }
  const c = l.connAt;
  return {
    version,
    initTime: time * 1000,
    layout: `${abi.name} ${le ? 'little' : 'big'}-endian`,
    connections: c === undefined ? { from: 0, to: 0, rejected: 0 } : { from: long(c), to: long(c + abi.long), rejected: long(c + 2 * abi.long) },
    mailers,
  };
}

/** The sums mailstats prints as its T line. */
export function statisticsTotals(s: SendmailStatistics): MailerStatistics {
  const t = emptyMailer();
  for (const m of s.mailers) {
    t.from += m.from;
    t.kbytesFrom += m.kbytesFrom;
    t.to += m.to;
    t.kbytesTo += m.kbytesTo;
    t.rejected += m.rejected;
    t.discarded += m.discarded;
    t.quarantined += m.quarantined;
  }
  return t;
}
