// SNMPv3 messages (RFC 3412 6, RFC 3414 2.4): strict decoding of the header and
// USM security parameters, keeping where the authentication parameters sit so the
// digest can be checked in place; encoding of responses and Reports.

import { BerError, BerReader, Tag, encodeInteger, tlv, tlvSize } from '../ber.js';

export const FLAG_AUTH = 1;
export const FLAG_PRIV = 2;
export const FLAG_REPORTABLE = 4;
export const USM_MODEL = 3;
const MAX_INT = 2147483647;

/** A well-formed message that breaks an RFC 3412 rule (snmpInvalidMsgs). */
export class InvalidMessageError extends Error {}
/** A security model we do not implement (snmpUnknownSecurityModels). */
export class UnknownSecurityModelError extends Error {}

export interface V3Message {
  msgId: number;
  maxSize: number;
  flags: number;
  usm: UsmParams;
  /** the msgData TLV: a plaintext scopedPDU (SEQUENCE) or an encryptedPDU (OCTET STRING) */
  data: { tag: number; contents: Buffer; raw: Buffer };
  /** the whole message, for the digest */
  whole: Buffer;
}

export interface UsmParams {
  engineId: Buffer;
  boots: number;
  time: number;
  userName: Buffer;
  authParams: Buffer;
  /** offset of authParams' contents in the whole message */
  authOffset: number;
  privParams: Buffer;
}

function boundedInt(r: BerReader, min: number, what: string): number {
  const v = r.integer();
  if (v < min || v > MAX_INT) throw new BerError(`${what} ${v} out of range`);
  return v;
}

/** Decodes an SNMPv3 message up to msgData; throws BerError, InvalidMessageError or UnknownSecurityModelError. */
export function decodeV3(buf: Buffer): V3Message {
  const top = new BerReader(buf);
  const msg = top.sequence();
  if (!top.done) throw new BerError('bytes after the message');
  if (msg.integer() !== 3) throw new BerError('not an SNMPv3 message');
  const g = msg.sequence();
  const msgId = boundedInt(g, 0, 'msgID');
  const maxSize = g.integer();
  const flagOctets = g.octets();
  const model = g.integer();
  if (!g.done) throw new BerError('bytes after msgGlobalData');
  if (maxSize < 484) throw new InvalidMessageError(`msgMaxSize ${maxSize} below 484`);
  if (flagOctets.length !== 1) throw new InvalidMessageError(`msgFlags of ${flagOctets.length} octets`);
  const flags = flagOctets[0]!;
  if ((flags & (FLAG_AUTH | FLAG_PRIV)) === FLAG_PRIV) throw new InvalidMessageError('privacy without authentication');
  if (model !== USM_MODEL) throw new UnknownSecurityModelError(`security model ${model}`);
  const spLength = msg.expect(Tag.OctetString);
  const sp = new BerReader(buf, msg.pos, msg.pos + spLength);
  msg.pos += spLength;
  const dataStart = msg.pos;
  const { tag, length } = msg.readHeader();
  if (tag !== Tag.Sequence && tag !== Tag.OctetString) throw new BerError('msgData is neither a scopedPDU nor an encryptedPDU');
  const contents = buf.subarray(msg.pos, msg.pos + length);
  msg.pos += length;
  if (!msg.done) throw new BerError('bytes after msgData');

  const s = sp.sequence();
  if (!sp.done) throw new BerError('bytes after the security parameters');
  const engineId = s.octets();
  if (engineId.length > 32) throw new BerError('msgAuthoritativeEngineID longer than 32 octets');
  const boots = boundedInt(s, 0, 'msgAuthoritativeEngineBoots');
  const time = boundedInt(s, 0, 'msgAuthoritativeEngineTime');
  const userName = s.octets();
  if (userName.length > 32) throw new BerError('msgUserName longer than 32 octets');
  const authLength = s.expect(Tag.OctetString);
  const authOffset = s.pos;
  const authParams = buf.subarray(s.pos, s.pos + authLength);
  s.pos += authLength;
  const privParams = s.octets();
  if (!s.done) throw new BerError('bytes after msgPrivacyParameters');
  return {
    msgId,
    maxSize,
    flags,
    usm: { engineId, boots, time, userName, authParams, authOffset, privParams },
    data: { tag, contents, raw: buf.subarray(dataStart, msg.pos) },
    whole: buf,
  };
}

/** contextEngineID, contextName and the BerReader positioned at the PDU. */
export function openScopedPdu(contents: Buffer): { contextEngineId: Buffer; contextName: Buffer; pdu: BerReader } {
  const top = new BerReader(contents);
  const scoped = top.sequence();
  // Octets after the scopedPDU are DES padding (RFC 3414 8.3.2 leaves them to be ignored).
  const contextEngineId = scoped.octets();
  const contextName = scoped.octets();
  return { contextEngineId, contextName, pdu: scoped };
}

export interface OutgoingV3 {
  msgId: number;
  maxSize: number;
  flags: number;
  engineId: Buffer;
  boots: number;
  time: number;
  userName: Buffer;
  /** octets reserved for the digest (0 without authentication) */
  macLength: number;
  privParams: Buffer;
  /** the scopedPDU TLV, or the encryptedPDU's ciphertext when encrypted */
  data: Buffer;
  encrypted: boolean;
}

/** The encoded message and where its authentication parameters' contents start. */
export function encodeV3(m: OutgoingV3): { message: Buffer; authOffset: number } {
  const global = tlv(Tag.Sequence, [
    encodeInteger(m.msgId),
    encodeInteger(m.maxSize),
    tlv(Tag.OctetString, Buffer.from([m.flags])),
    encodeInteger(USM_MODEL),
  ]);
  const before = [
    tlv(Tag.OctetString, m.engineId),
    encodeInteger(m.boots),
    encodeInteger(m.time),
    tlv(Tag.OctetString, m.userName),
  ];
  const auth = tlv(Tag.OctetString, Buffer.alloc(m.macLength));
  const priv = tlv(Tag.OctetString, m.privParams);
  const spSeq = tlv(Tag.Sequence, [...before, auth, priv]);
  const sp = tlv(Tag.OctetString, spSeq);
  const data = m.encrypted ? tlv(Tag.OctetString, m.data) : m.data;
  const version = encodeInteger(3);
  const message = tlv(Tag.Sequence, [version, global, sp, data]);
  const header = (n: number) => tlvSize(n) - n;
  let at = header(message.length - header(message.length)) + version.length + global.length;
  at += header(spSeq.length) + header(spSeq.length - header(spSeq.length));
  for (const b of before) at += b.length;
  at += header(m.macLength);
  return { message, authOffset: at };
}

/** Size of encodeV3's message for `dataLength` octets of msgData contents (or scopedPDU TLV). */
export function v3Size(m: Omit<OutgoingV3, 'data'>, dataLength: number): number {
  const global =
    tlvSize(encodeInteger(m.msgId).length + encodeInteger(m.maxSize).length + tlvSize(1) + encodeInteger(USM_MODEL).length);
  const sp = tlvSize(
    tlvSize(
      tlvSize(m.engineId.length) +
        encodeInteger(m.boots).length +
        encodeInteger(m.time).length +
        tlvSize(m.userName.length) +
        tlvSize(m.macLength) +
        tlvSize(m.privParams.length),
    ),
  );
  const data = m.encrypted ? tlvSize(dataLength) : dataLength;
  return tlvSize(encodeInteger(3).length + global + sp + data);
}

export function scopedPdu(contextEngineId: Buffer, contextName: Buffer, pdu: Buffer): Buffer {
  return tlv(Tag.Sequence, [tlv(Tag.OctetString, contextEngineId), tlv(Tag.OctetString, contextName), pdu]);
}

export function scopedPduSize(contextEngineId: Buffer, contextName: Buffer, pduLength: number): number {
  return tlvSize(tlvSize(contextEngineId.length) + tlvSize(contextName.length) + pduLength);
}
