// A strict BER reader and a size-aware writer for SNMP messages.
// We do not use asn1-ber (the net-snmp package's codec) on the serving path: its
// reader answers null instead of failing on truncated input, computes OID arcs with
// 32-bit shifts (an arc of 2^32 or more silently wraps: 1.3.4294967296 reads 1.3.0),
// splits the first octet wrongly (2.100 reads 4.20) and returns OIDs as strings we
// would parse again; the writer cannot tell a message's size before writing it,
// which GETBULK truncation needs. See docs/design.md.

import { MAX_ARC, MAX_OID_LENGTH, type Oid } from './oid.js';

export const Tag = {
  Integer: 0x02,
  OctetString: 0x04,
  Null: 0x05,
  ObjectIdentifier: 0x06,
  Sequence: 0x30,
  IpAddress: 0x40,
  Counter32: 0x41,
  Gauge32: 0x42,
  TimeTicks: 0x43,
  Opaque: 0x44,
  Counter64: 0x46,
  NoSuchObject: 0x80,
  NoSuchInstance: 0x81,
  EndOfMibView: 0x82,
  GetRequest: 0xa0,
  GetNextRequest: 0xa1,
  Response: 0xa2,
  SetRequest: 0xa3,
  TrapV1: 0xa4,
  GetBulkRequest: 0xa5,
  InformRequest: 0xa6,
  TrapV2: 0xa7,
  Report: 0xa8,
} as const;

export class BerError extends Error {}
/** A value a view produced that cannot be put on the wire. */
export class EncodeError extends Error {}

export class BerReader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a tag and a definite length; returns the tag and leaves pos at the contents. */
  readHeader(): { tag: number; length: number } {
    if (this.pos + 2 > this.end) throw new BerError('truncated header');
    const tag = this.buf[this.pos++]!;
    if ((tag & 0x1f) === 0x1f) throw new BerError('multi-byte tags are not used by SNMP');
    let length = this.buf[this.pos++]!;
    if (length & 0x80) {
      const n = length & 0x7f;
      if (n === 0) throw new BerError('indefinite length');
      if (n > 4) throw new BerError('length of length above 4');
      if (this.pos + n > this.end) throw new BerError('truncated length');
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + this.buf[this.pos++]!;
    }
    if (length > this.end - this.pos) throw new BerError('length beyond the end of its container');
    return { tag, length };
  }

  expect(tag: number): number {
    const h = this.readHeader();
    if (h.tag !== tag) throw new BerError(`expected tag 0x${tag.toString(16)}, got 0x${h.tag.toString(16)}`);
    return h.length;
  }

  /** Reads a constructed value and returns a reader bounded to its contents. */
  sequence(tag: number = Tag.Sequence): BerReader {
    const length = this.expect(tag);
    const inner = new BerReader(this.buf, this.pos, this.pos + length);
    this.pos += length;
    return inner;
  }

  integer(tag: number = Tag.Integer): number {
    const length = this.expect(tag);
    if (length < 1 || length > 5) throw new BerError(`integer of ${length} octets`);
    let v = this.buf.readInt8(this.pos);
    for (let i = 1; i < length; i++) v = v * 256 + this.buf[this.pos + i]!;
    this.pos += length;
    if (v < -2147483648 || v > 2147483647) throw new BerError('integer out of 32-bit range');
    return v;
  }

  octets(tag: number = Tag.OctetString): Buffer {
    const length = this.expect(tag);
    const b = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return b;
  }

  oid(): number[] {
    const length = this.expect(Tag.ObjectIdentifier);
    const end = this.pos + length;
    checkOid(this.buf, this.pos, end);
    const arcs = oidArcs(this.buf, this.pos, end);
    this.pos = end;
    return arcs;
  }

  /** The whole next TLV as raw bytes, without interpreting it. */
  raw(): Buffer {
    const start = this.pos;
    const h = this.readHeader();
    this.pos += h.length;
    return this.buf.subarray(start, this.pos);
  }
}

/**
 * Checks the contents of an OID, buf[start..end), without building it: not empty,
 * minimal arcs, each within 2^32-1, at most 128 arcs. Throws BerError.
 */
export function checkOid(buf: Buffer, start: number, end: number): void {
  if (end <= start) throw new BerError('empty OID');
  let v = 0;
  let octets = 0;
  let arcs = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (octets === 0 && b === 0x80) throw new BerError('non-minimal OID arc');
    v = v * 128 + (b & 0x7f);
    octets++;
    if (octets > 5) throw new BerError('OID arc too large');
    if ((b & 0x80) === 0) {
      // the first subidentifier holds two arcs; the second of them is bounded like the others
      const arc = arcs === 0 ? (v < 80 ? v % 40 : v - 80) : v;
      if (arc > MAX_ARC) throw new BerError('OID arc above 2^32-1');
      arcs += arcs === 0 ? 2 : 1;
      v = 0;
      octets = 0;
    }
  }
  if (octets !== 0) throw new BerError('OID ends inside an arc');
  if (arcs > MAX_OID_LENGTH) throw new BerError('OID longer than 128 arcs');
}

/** The arcs of OID contents that checkOid accepted. */
export function oidArcs(buf: Buffer, start: number, end: number): number[] {
  const arcs: number[] = [];
  let v = 0;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = v < 80 ? Math.floor(v / 40) : 2;
        arcs.push(first, v - first * 40);
      } else arcs.push(v);
      v = 0;
    }
  }
  return arcs;
}

// ---- writer ----

export function lengthSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x1000000 ? 4 : 5;
}

/** Size of a TLV whose contents are `n` octets long. */
export function tlvSize(n: number): number {
  return 1 + lengthSize(n) + n;
}

/** Writes a tag and the definite length `n` at `at`; returns the offset after them. */
export function writeHeader(out: Buffer, at: number, tag: number, n: number): number {
  const ls = lengthSize(n);
  out[at] = tag;
  if (ls === 1) {
    out[at + 1] = n;
    return at + 2;
  }
  out[at + 1] = 0x80 | (ls - 1);
  for (let i = ls - 1; i >= 1; i--) {
    out[at + 1 + i] = n & 0xff;
    n = Math.floor(n / 256);
  }
  return at + 1 + ls;
}

/** Copies `src` into `out` at `at` (a plain loop beats the native call for a few octets). */
export function putBytes(out: Buffer, at: number, src: Buffer): number {
  const n = src.length;
  if (n > 32) out.set(src, at);
  else for (let i = 0; i < n; i++) out[at + i] = src[i]!;
  return at + n;
}

export function tlv(tag: number, contents: Buffer | Buffer[]): Buffer {
  if (!Array.isArray(contents)) {
    const out = Buffer.allocUnsafe(tlvSize(contents.length));
    putBytes(out, writeHeader(out, 0, tag, contents.length), contents);
    return out;
  }
  let n = 0;
  for (const p of contents) n += p.length;
  const out = Buffer.allocUnsafe(tlvSize(n));
  let k = writeHeader(out, 0, tag, n);
  for (const p of contents) k = putBytes(out, k, p);
  return out;
}

export function encodeInteger(v: number, tag: number = Tag.Integer): Buffer {
  if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
    throw new EncodeError(`${v} is not an Integer32`);
  }
  // minimal two's complement: the fewest octets whose sign bit is the value's
  const n = v >= -0x80 && v < 0x80 ? 1 : v >= -0x8000 && v < 0x8000 ? 2 : v >= -0x800000 && v < 0x800000 ? 3 : 4;
  const out = Buffer.allocUnsafe(2 + n);
  out[0] = tag;
  out[1] = n;
  let x = v;
  for (let i = n + 1; i >= 2; i--) {
    out[i] = x & 0xff;
    x = Math.floor(x / 256);
  }
  return out;
}

/** Counter32, Gauge32, TimeTicks, Counter64: non-negative, minimal with a leading zero when needed. */
export function encodeUnsigned(v: number | bigint, tag: number, max: bigint): Buffer {
  let x: bigint;
  if (typeof v === 'bigint') x = v;
  else if (Number.isInteger(v)) x = BigInt(v);
  else throw new EncodeError(`${v} is not an unsigned integer`);
  if (x < 0n || x > max) throw new EncodeError(`${v} out of range for tag 0x${tag.toString(16)}`);
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(x & 0xffn));
    x >>= 8n;
  } while (x > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(tag, Buffer.from(bytes));
}

/** Unsigned 32-bit without BigInt, for the hot path. */
export function encodeUnsigned32(v: number, tag: number): Buffer {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new EncodeError(`${v} out of range for tag 0x${tag.toString(16)}`);
  const n = v < 0x80 ? 1 : v < 0x8000 ? 2 : v < 0x800000 ? 3 : v < 0x80000000 ? 4 : 5;
  const b = Buffer.allocUnsafe(2 + n);
  b[0] = tag;
  b[1] = n;
  let x = v;
  for (let i = n + 1; i >= 2; i--) {
    b[i] = x & 0xff;
    x = Math.floor(x / 256);
  }
  return b;
}

export function oidContents(oid: Oid): Buffer {
  if (oid.length < 2) throw new EncodeError(`OID ${oid.join('.')} has fewer than two arcs`);
  if (oid.length > MAX_OID_LENGTH) throw new EncodeError('OID longer than 128 arcs');
  const a0 = oid[0]!;
  const a1 = oid[1]!;
  // The second arc is limited like the others (the reader rejects 2.(2^32) and above).
  if ((a0 !== 0 && a0 !== 1 && a0 !== 2) || (a0 < 2 && a1 > 39) || a1 > MAX_ARC) {
    throw new EncodeError(`OID ${oid.join('.')} has bad first arcs`);
  }
  const out: number[] = [];
  const push = (v: number) => {
    if (!Number.isInteger(v) || v < 0) throw new EncodeError(`bad OID arc ${v}`);
    if (v < 128) {
      out.push(v);
      return;
    }
    const tmp: number[] = [];
    while (v > 0) {
      tmp.unshift(v % 128);
      v = Math.floor(v / 128);
    }
    for (let i = 0; i < tmp.length - 1; i++) out.push(tmp[i]! | 0x80);
    out.push(tmp[tmp.length - 1]!);
  };
  push(a0 * 40 + a1);
  for (let i = 2; i < oid.length; i++) {
    const v = oid[i]!;
    if (v > MAX_ARC) throw new EncodeError(`OID arc ${v} above 2^32-1`);
    push(v);
  }
  return Buffer.from(out);
}

export function encodeOid(oid: Oid): Buffer {
  return tlv(Tag.ObjectIdentifier, oidContents(oid));
}

export const NULL_VALUE = Buffer.from([Tag.Null, 0]);
export const NO_SUCH_OBJECT = Buffer.from([Tag.NoSuchObject, 0]);
export const NO_SUCH_INSTANCE = Buffer.from([Tag.NoSuchInstance, 0]);
export const END_OF_MIB_VIEW = Buffer.from([Tag.EndOfMibView, 0]);
