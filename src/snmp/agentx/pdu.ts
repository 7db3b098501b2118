// AgentX PDUs (RFC 2741 §6): a 20-octet header, then a payload of 32-bit aligned
// fields. We read either byte order (the header's NETWORK_BYTE_ORDER flag says which)
// and always write network byte order. Values arrive from the OID index as BER; they
// are turned into AgentX varbinds in one place, PduWriter.varbindFromBer.

import { BerReader, Tag } from '../ber.js';

export const AGENTX_VERSION = 1;
export const HEADER_SIZE = 20;
/** Larger payloads are refused (a garbled length would otherwise make us buffer forever). */
export const MAX_PAYLOAD = 1 << 20;

export const PduType = {
  Open: 1,
  Close: 2,
  Register: 3,
  Unregister: 4,
  Get: 5,
  GetNext: 6,
  GetBulk: 7,
  TestSet: 8,
  CommitSet: 9,
  UndoSet: 10,
  CleanupSet: 11,
  Notify: 12,
  Ping: 13,
  IndexAllocate: 14,
  IndexDeallocate: 15,
  AddAgentCaps: 16,
  RemoveAgentCaps: 17,
  Response: 18,
} as const;

export const Flag = {
  InstanceRegistration: 0x01,
  NewIndex: 0x02,
  AnyIndex: 0x04,
  NonDefaultContext: 0x08,
  NetworkByteOrder: 0x10,
} as const;

/** res.error values (RFC 2741 §6.2.16), besides the SNMP error-status values. */
export const AgentxError = {
  noError: 0,
  genErr: 5,
  notWritable: 17,
  commitFailed: 14,
  undoFailed: 15,
  openFailed: 256,
  notOpen: 257,
  unsupportedContext: 262,
  duplicateRegistration: 263,
  unknownRegistration: 264,
  parseError: 266,
  requestDenied: 267,
  processingError: 268,
} as const;

export const CloseReason = { other: 1, parseError: 2, protocolError: 3, timeouts: 4, shutdown: 5, byManager: 6 } as const;

/** Varbind types are the BER application tags (RFC 2741 §5.4). */
export const VbType = {
  Integer: Tag.Integer,
  OctetString: Tag.OctetString,
  Null: Tag.Null,
  ObjectIdentifier: Tag.ObjectIdentifier,
  IpAddress: Tag.IpAddress,
  Counter32: Tag.Counter32,
  Gauge32: Tag.Gauge32,
  TimeTicks: Tag.TimeTicks,
  Opaque: Tag.Opaque,
  Counter64: Tag.Counter64,
  NoSuchObject: Tag.NoSuchObject,
  NoSuchInstance: Tag.NoSuchInstance,
  EndOfMibView: Tag.EndOfMibView,
} as const;

export class AgentxParseError extends Error {}

export interface Header {
  version: number;
  type: number;
  flags: number;
  sessionId: number;
  transactionId: number;
  packetId: number;
  payloadLength: number;
}

export interface SearchRange {
  start: number[];
  include: boolean;
  /** empty: no upper bound */
  end: number[];
}

export type VbValue = number | bigint | Buffer | number[] | null;

export interface Varbind {
  type: number;
  name: number[];
  value: VbValue;
}

/** Reads a header; throws AgentxParseError when it cannot be framed at all. */
export function readHeader(buf: Buffer, at = 0): Header {
  if (buf.length - at < HEADER_SIZE) throw new AgentxParseError('truncated header');
  const flags = buf[at + 2]!;
  const be = (flags & Flag.NetworkByteOrder) !== 0;
  const u32 = (o: number) => (be ? buf.readUInt32BE(at + o) : buf.readUInt32LE(at + o));
  const h: Header = {
    version: buf[at]!,
    type: buf[at + 1]!,
    flags,
    sessionId: u32(4),
    transactionId: u32(8),
    packetId: u32(12),
    payloadLength: u32(16),
  };
  if (h.version !== AGENTX_VERSION) throw new AgentxParseError(`AgentX version ${h.version}, not 1`);
  if (h.payloadLength > MAX_PAYLOAD) throw new AgentxParseError(`payload of ${h.payloadLength} octets`);
  if (h.payloadLength % 4 !== 0) throw new AgentxParseError(`payload length ${h.payloadLength} is not a multiple of 4`);
  return h;
}

/** Reads the fields of one payload, in the byte order its header names. */
export class PduReader {
  pos: number;
  private readonly be: boolean;
  constructor(
    readonly buf: Buffer,
    readonly header: Header,
    start: number,
    readonly end = start + header.payloadLength,
  ) {
    this.pos = start;
    this.be = (header.flags & Flag.NetworkByteOrder) !== 0;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new AgentxParseError('payload ends inside a field');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.be ? this.buf.readUInt16BE(this.pos) : this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.be ? this.buf.readUInt32BE(this.pos) : this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** An Object Identifier (§5.1): n_subid, prefix, include, reserved, then n_subid sub-identifiers. */
  oid(): { oid: number[]; include: boolean } {
    const n = this.u8();
    const prefix = this.u8();
    const include = this.u8();
    this.skip(1);
    if (n > 128) throw new AgentxParseError(`OID of ${n} sub-identifiers`);
    if (include > 1) throw new AgentxParseError(`include field ${include}`);
    this.need(4 * n);
    const oid: number[] = prefix ? [1, 3, 6, 1, prefix] : [];
    for (let i = 0; i < n; i++) oid.push(this.u32());
    return { oid, include: include === 1 };
  }

  /** An Octet String (§5.3): length, octets, padding to a multiple of 4. */
  octets(): Buffer {
    const n = this.u32();
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.skip(n);
    this.skip((4 - (n % 4)) % 4);
    return b;
  }

  searchRange(): SearchRange {
    const s = this.oid();
    const e = this.oid();
    return { start: s.oid, include: s.include, end: e.oid };
  }

  searchRanges(): SearchRange[] {
    const out: SearchRange[] = [];
    while (!this.done) out.push(this.searchRange());
    return out;
  }

  varbind(): Varbind {
    const type = this.u16();
    this.skip(2);
    const name = this.oid().oid;
    let value: VbValue;
    switch (type) {
      case VbType.Integer:
        value = this.u32() | 0;
        break;
      case VbType.Counter32:
      case VbType.Gauge32:
      case VbType.TimeTicks:
        value = this.u32();
        break;
      case VbType.Counter64: {
        const hi = this.u32();
        const lo = this.u32();
        value = (BigInt(hi) << 32n) | BigInt(lo);
        break;
      }
      case VbType.OctetString:
      case VbType.IpAddress:
      case VbType.Opaque:
        value = this.octets();
        if (type === VbType.IpAddress && value.length !== 4) throw new AgentxParseError('IpAddress of other than 4 octets');
        break;
      case VbType.ObjectIdentifier:
        value = this.oid().oid;
        break;
      case VbType.Null:
      case VbType.NoSuchObject:
      case VbType.NoSuchInstance:
      case VbType.EndOfMibView:
        value = null;
        break;
      default:
        throw new AgentxParseError(`varbind type ${type}`);
    }
    return { type, name, value };
  }

  varbinds(): Varbind[] {
    const out: Varbind[] = [];
    while (!this.done) out.push(this.varbind());
    return out;
  }
}

/** Builds one PDU in network byte order; the header's payload length is filled in by finish(). */
export class PduWriter {
  private buf: Buffer;
  private pos = HEADER_SIZE;

  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(size, 64));
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.room(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  /** An OID with the 1.3.6.1.x prefix compressed when it applies (§5.1). */
  oid(oid: readonly number[], include = false): this {
    const compress = oid.length >= 5 && oid[0] === 1 && oid[1] === 3 && oid[2] === 6 && oid[3] === 1 && oid[4]! >= 1 && oid[4]! <= 255;
    const from = compress ? 5 : 0;
    const n = oid.length - from;
    if (n > 128) throw new RangeError(`OID of ${oid.length} sub-identifiers`);
    this.room(4 + 4 * n);
    const b = this.buf;
    let p = this.pos;
    b[p++] = n;
    b[p++] = compress ? oid[4]! : 0;
    b[p++] = include ? 1 : 0;
    b[p++] = 0;
    for (let i = from; i < oid.length; i++) {
      b.writeUInt32BE(oid[i]!, p);
      p += 4;
    }
    this.pos = p;
    return this;
  }

  octets(data: Buffer): this {
    const pad = (4 - (data.length % 4)) % 4;
    this.u32(data.length);
    this.room(data.length + pad);
    data.copy(this.buf, this.pos);
    this.pos += data.length;
    for (let i = 0; i < pad; i++) this.buf[this.pos++] = 0;
    return this;
  }

  /** A varbind whose value has no data (Null, noSuchObject, noSuchInstance, endOfMibView). */
  emptyVarbind(type: number, name: readonly number[]): this {
    return this.u16(type).u16(0).oid(name);
  }

  /**
   * A varbind from a BER value TLV, as the OID index produces it: the one place BER
   * becomes AgentX. Throws (BerError/RangeError) on a value AgentX cannot carry.
   */
  varbindFromBer(name: readonly number[], ber: Buffer): this {
    const r = new BerReader(ber);
    const { tag, length } = r.readHeader();
    const at = r.pos;
    this.u16(tag).u16(0).oid(name);
    switch (tag) {
      case Tag.Integer:
        return this.u32(new BerReader(ber).integer(Tag.Integer));
      case Tag.Counter32:
      case Tag.Gauge32:
      case Tag.TimeTicks:
      case Tag.Counter64: {
        let v = 0n;
        for (let i = 0; i < length; i++) v = (v << 8n) | BigInt(ber[at + i]!);
        if (tag === Tag.Counter64) {
          if (v > 0xffffffffffffffffn) throw new RangeError('Counter64 above 2^64-1');
          return this.u32(Number(v >> 32n)).u32(Number(v & 0xffffffffn));
        }
        if (v > 0xffffffffn) throw new RangeError('unsigned value above 2^32-1');
        return this.u32(Number(v));
      }
      case Tag.OctetString:
      case Tag.IpAddress:
      case Tag.Opaque:
        return this.octets(ber.subarray(at, at + length));
      case Tag.ObjectIdentifier:
        return this.oid(new BerReader(ber).oid());
      case Tag.Null:
      case Tag.NoSuchObject:
      case Tag.NoSuchInstance:
      case Tag.EndOfMibView:
        return this;
      default:
        throw new RangeError(`BER tag 0x${tag.toString(16)} has no AgentX varbind type`);
    }
  }

  /** Writes the header and returns the finished PDU. */
  finish(type: number, ids: { sessionId: number; transactionId: number; packetId: number }, flags = 0): Buffer {
    const b = this.buf;
    b[0] = AGENTX_VERSION;
    b[1] = type;
    b[2] = flags | Flag.NetworkByteOrder;
    b[3] = 0;
    b.writeUInt32BE(ids.sessionId >>> 0, 4);
    b.writeUInt32BE(ids.transactionId >>> 0, 8);
    b.writeUInt32BE(ids.packetId >>> 0, 12);
    b.writeUInt32BE(this.pos - HEADER_SIZE, 16);
    return b.subarray(0, this.pos);
  }

  get length(): number {
    return this.pos;
  }

  /** Drops what was written after `length` (a varbind that failed half way). */
  truncate(length: number): void {
    this.pos = length;
  }
}
