// The PDUs a subagent sends (Open, Close, Register, Ping, Notify, Response) and the
// ones it reads (Get, GetNext, GetBulk, Response, Close), on top of pdu.ts.

import { Tag } from '../ber.js';
import {
  Flag,
  PduReader,
  PduType,
  PduWriter,
  type Header,
  type SearchRange,
  type Varbind,
} from './pdu.js';

export interface Ids {
  sessionId: number;
  transactionId: number;
  packetId: number;
}

export function openPdu(ids: Ids, timeoutS: number, id: readonly number[], descr: string): Buffer {
  return new PduWriter()
    .u8(timeoutS).u8(0).u8(0).u8(0)
    .oid(id)
    .octets(Buffer.from(descr, 'utf8'))
    .finish(PduType.Open, ids);
}

export function closePdu(ids: Ids, reason: number): Buffer {
  return new PduWriter().u8(reason).u8(0).u8(0).u8(0).finish(PduType.Close, ids);
}

/** Register a whole subtree (no range_subid, default context). */
export function registerPdu(ids: Ids, subtree: readonly number[], priority = 127, timeoutS = 0): Buffer {
  return new PduWriter().u8(timeoutS).u8(priority).u8(0).u8(0).oid(subtree).finish(PduType.Register, ids);
}

export function pingPdu(ids: Ids): Buffer {
  return new PduWriter().finish(PduType.Ping, ids);
}

/** The instance OIDs of sysUpTime.0 and snmpTrapOID.0 (from the MIB), first in every notification. */
export interface NotifyHead {
  sysUpTime0: readonly number[];
  snmpTrapOid0: readonly number[];
}

/** Notify with sysUpTime.0 and snmpTrapOID.0 first (§6.2.10), then `berVarbinds` (name + BER value). */
export function notifyPdu(
  ids: Ids,
  head: NotifyHead,
  uptime: number,
  trapOid: readonly number[],
  berVarbinds: ReadonlyArray<{ oid: readonly number[]; ber: Buffer }>,
): Buffer {
  const w = new PduWriter(512);
  w.u16(Tag.TimeTicks).u16(0).oid(head.sysUpTime0).u32(uptime);
  w.u16(Tag.ObjectIdentifier).u16(0).oid(head.snmpTrapOid0).oid(trapOid);
  for (const vb of berVarbinds) w.varbindFromBer(vb.oid, vb.ber);
  return w.finish(PduType.Notify, ids);
}

/** A Response with no varbinds (an error, or the answer to a Set phase). */
export function responsePdu(ids: Ids, uptime: number, error: number, index: number): Buffer {
  return new PduWriter(32).u32(uptime).u16(error).u16(index).finish(PduType.Response, ids);
}

export type Request =
  | { type: typeof PduType.Get | typeof PduType.GetNext; context?: Buffer; ranges: SearchRange[] }
  | { type: typeof PduType.GetBulk; context?: Buffer; nonRepeaters: number; maxRepetitions: number; ranges: SearchRange[] };

export interface ResponseBody {
  uptime: number;
  error: number;
  index: number;
  varbinds: Varbind[];
}

function context(r: PduReader): Buffer | undefined {
  return r.header.flags & Flag.NonDefaultContext ? r.octets() : undefined;
}

/** Decodes a Get, GetNext or GetBulk payload; throws AgentxParseError. */
export function decodeRequest(h: Header, buf: Buffer): Request {
  const r = new PduReader(buf, h, 20);
  const ctx = context(r);
  if (h.type === PduType.GetBulk) {
    const nonRepeaters = r.u16();
    const maxRepetitions = r.u16();
    return { type: PduType.GetBulk, context: ctx, nonRepeaters, maxRepetitions, ranges: r.searchRanges() };
  }
  return { type: h.type as typeof PduType.Get, context: ctx, ranges: r.searchRanges() };
}

export function decodeResponse(h: Header, buf: Buffer): ResponseBody {
  const r = new PduReader(buf, h, 20);
  const uptime = r.u32();
  const error = r.u16();
  const index = r.u16();
  return { uptime, error, index, varbinds: r.varbinds() };
}

export function decodeClose(h: Header, buf: Buffer): number {
  return new PduReader(buf, h, 20).u8();
}
