// SNMPv1 and SNMPv2c messages (RFC 1157, RFC 3416 PDUs in RFC 1901 messages):
// strict decoding of requests, exact sizing and encoding of responses.

import { BerError, BerReader, Tag, checkOid, encodeInteger, oidArcs, putBytes, tlv, tlvSize, writeHeader } from './ber.js';

export const Version = { v1: 0, v2c: 1, v3: 3 } as const;
export type CommunityVersion = typeof Version.v1 | typeof Version.v2c;

export const ErrorStatus = {
  noError: 0,
  tooBig: 1,
  noSuchName: 2,
  badValue: 3,
  readOnly: 4,
  genErr: 5,
  noAccess: 6,
  notWritable: 17,
} as const;

export interface RequestVarbind {
  readonly oid: number[];
  /** The whole varbind TLV as received, echoed back on errors. */
  readonly raw: Buffer;
  /** octets of the OID's contents (what a response varbind naming it needs at least) */
  readonly oidLength: number;
}

/**
 * A varbind of a decoded request: checked whole when the PDU is decoded, but its OID
 * arcs are made only when asked for, so that a request of 9,000 varbinds answered
 * tooBig after a few hundred builds a few hundred arrays, not 9,000.
 */
class ReceivedVarbind implements RequestVarbind {
  private arcs: number[] | undefined;
  constructor(
    private readonly buf: Buffer,
    private readonly start: number,
    private readonly end: number,
    private readonly oidStart: number,
    private readonly oidEnd: number,
  ) {}

  get oid(): number[] {
    return (this.arcs ??= oidArcs(this.buf, this.oidStart, this.oidEnd));
  }

  get raw(): Buffer {
    return this.buf.subarray(this.start, this.end);
  }

  get oidLength(): number {
    return this.oidEnd - this.oidStart;
  }
}

export interface RequestPdu {
  type: number;
  requestId: number;
  /** error-status, or non-repeaters for GetBulk */
  a: number;
  /** error-index, or max-repetitions for GetBulk */
  b: number;
  varbinds: RequestVarbind[];
}

export interface RequestMessage {
  version: CommunityVersion | typeof Version.v3;
  /** empty for SNMPv3 */
  community: Buffer;
  pdu: RequestPdu;
  /** SNMPv3: wraps the response PDU in its scopedPDU and message (usm/message3.ts) */
  envelope?: Envelope;
}

/** How a response PDU becomes a message when that is not a community message. */
export interface Envelope {
  /** size of the message carrying a PDU of `pduLength` octets (contents plus header) */
  size(pduLength: number): number;
  wrap(pdu: Buffer): Buffer;
}

/** A well-formed message of a version we do not serve (snmpInBadVersions). */
export class BadVersionError extends Error {
  constructor(readonly version: number) {
    super(`SNMP version ${version} is not served`);
  }
}

/** A PDU type an agent does not answer (responses, traps, reports). */
export class UnexpectedPduError extends Error {
  constructor(readonly type: number) {
    super(`PDU type 0x${type.toString(16)} is not a request`);
  }
}

const REQUEST_TYPES: ReadonlySet<number> = new Set([Tag.GetRequest, Tag.GetNextRequest, Tag.GetBulkRequest, Tag.SetRequest]);

/** A community message's header: read before the PDU, so a wrong community costs no PDU decoding. */
export interface CommunityHeader {
  version: CommunityVersion;
  community: Buffer;
  /** positioned at the PDU */
  rest: BerReader;
}

/** Version and community of an SNMPv1/v2c message; throws BadVersionError for any other version. */
export function decodeHeader(buf: Buffer): CommunityHeader {
  const top = new BerReader(buf);
  const rest = top.sequence();
  if (!top.done) throw new BerError('bytes after the message');
  const version = rest.integer();
  if (version !== Version.v1 && version !== Version.v2c) throw new BadVersionError(version);
  const community = rest.octets();
  return { version, community, rest };
}

/** The PDU after a header from decodeHeader. */
export function decodeBody(h: CommunityHeader, buf: Buffer): RequestMessage {
  const msg = h.rest;
  const start = msg.pos;
  const { tag } = msg.readHeader();
  msg.pos = start;
  if (tag === Tag.GetBulkRequest && h.version === Version.v1) throw new BerError('GetBulk in an SNMPv1 message');
  const pdu = decodePdu(msg, buf);
  if (!msg.done) throw new BerError('bytes after the PDU');
  return { version: h.version, community: h.community, pdu };
}

/** A whole SNMPv1/v2c request message. */
export function decodeMessage(buf: Buffer): RequestMessage {
  return decodeBody(decodeHeader(buf), buf);
}

/** A request PDU at `msg`'s position (varbinds keep their raw bytes from `buf`). */
export function decodePdu(msg: BerReader, buf: Buffer): RequestPdu {
  const start = msg.pos;
  const { tag } = msg.readHeader();
  msg.pos = start;
  // Traps, responses and reports are not for an agent; a v1 trap's body is not even
  // shaped like a request's, so refuse them before parsing further.
  if (!REQUEST_TYPES.has(tag)) throw new UnexpectedPduError(tag);
  const pduReader = msg.sequence(tag);
  const requestId = pduReader.integer();
  const a = pduReader.integer();
  const b = pduReader.integer();
  const list = pduReader.sequence();
  if (!pduReader.done) throw new BerError('bytes after the varbind list');
  const varbinds: RequestVarbind[] = [];
  while (!list.done) {
    const start = list.pos;
    const vb = list.sequence();
    const oidLength = vb.expect(Tag.ObjectIdentifier);
    const oidStart = vb.pos;
    // checked now (a bad OID anywhere is a parse error), its arcs made when the engine asks
    checkOid(vb.buf, oidStart, oidStart + oidLength);
    vb.pos += oidLength;
    vb.raw();
    if (!vb.done) throw new BerError('bytes after a varbind value');
    varbinds.push(new ReceivedVarbind(vb.buf, start, list.pos, oidStart, oidStart + oidLength));
  }
  return { type: tag, requestId, a, b, varbinds };
}

/** Size calculator for a response to `req`, given the length of its varbind list contents. */
export function responseSizer(req: RequestMessage, errorStatus = 0, errorIndex = 0): (listLength: number) => number {
  const pduFixed =
    encodeInteger(req.pdu.requestId).length + encodeInteger(errorStatus).length + encodeInteger(errorIndex).length;
  const msgFixed = encodeInteger(req.version).length + tlvSize(req.community.length);
  const { envelope } = req;
  if (envelope) return (listLength: number) => envelope.size(tlvSize(pduFixed + tlvSize(listLength)));
  return (listLength: number) => tlvSize(msgFixed + tlvSize(pduFixed + tlvSize(listLength)));
}

export function encodeResponse(req: RequestMessage, errorStatus: number, errorIndex: number, varbinds: Buffer[]): Buffer {
  const pdu = tlv(Tag.Response, [
    encodeInteger(req.pdu.requestId),
    encodeInteger(errorStatus),
    encodeInteger(errorIndex),
    tlv(Tag.Sequence, varbinds),
  ]);
  if (req.envelope) return req.envelope.wrap(pdu);
  return tlv(Tag.Sequence, [encodeInteger(req.version), tlv(Tag.OctetString, req.community), pdu]);
}

export function encodeVarbind(oidContents: Buffer, value: Buffer): Buffer {
  // tlv(Sequence, [tlv(ObjectIdentifier, oidContents), value]) in one allocation
  const n = tlvSize(oidContents.length) + value.length;
  const out = Buffer.allocUnsafe(tlvSize(n));
  let k = writeHeader(out, 0, Tag.Sequence, n);
  k = putBytes(out, writeHeader(out, k, Tag.ObjectIdentifier, oidContents.length), oidContents);
  putBytes(out, k, value);
  return out;
}
