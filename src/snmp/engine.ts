// Request processing with RFC 3416 semantics (and RFC 1157/3584 for SNMPv1),
// independent of transport and security. Everything is read-only.

import { Tag, oidContents, tlvSize } from './ber.js';
import {
  ErrorStatus,
  Version,
  encodeResponse,
  encodeVarbind,
  responseSizer,
  type RequestMessage,
} from './message.js';
import { type IndexEntry, type Lookup, type OidIndex } from './oid-index.js';
import { getInView, nextInView, type MibView } from './vacm.js';

export interface EngineCounters {
  /** values that failed to encode (answered genErr) */
  encodeErrors: number;
  /** responses too big even as tooBig (snmpSilentDrops) */
  silentDrops: number;
}

const skipCounter64 = (e: IndexEntry) => e.counter64;

class Failed {
  constructor(
    readonly status: number,
    readonly index: number,
  ) {}
}

/**
 * Answers one request, showing only what `view` includes (everything without one).
 * Returns the encoded response message, or null when the response cannot be sent
 * at any size (counted as a silent drop).
 */
export function answer(index: OidIndex, req: RequestMessage, maxSize: number, counters: EngineCounters, view?: MibView): Buffer | null {
  const { pdu } = req;
  const v1 = req.version === Version.v1;
  const echo = () => pdu.varbinds.map((vb) => vb.raw);
  const fail = (status: number, at: number): Buffer | null =>
    fit(req, status, at, echo(), maxSize, counters);

  if (pdu.type === Tag.SetRequest) {
    if (pdu.varbinds.length === 0) return fit(req, ErrorStatus.noError, 0, [], maxSize, counters);
    return fail(v1 ? ErrorStatus.noSuchName : ErrorStatus.notWritable, 1);
  }

  try {
    if (pdu.type === Tag.GetBulkRequest) return bulk(index, req, maxSize, counters, view);
    const out: Buffer[] = [];
    for (let i = 0; i < pdu.varbinds.length; i++) {
      const vb = pdu.varbinds[i]!;
      const look: Lookup =
        pdu.type === Tag.GetRequest
          ? getInView(index, vb.oid, view)
          : nextInView(index, vb.oid, view, v1 ? skipCounter64 : undefined);
      if (look.found && !(v1 && look.entry.counter64)) {
        out.push(encodeVarbind(look.oidBytes, read(look, i, counters)));
      } else if (v1) {
        return fail(ErrorStatus.noSuchName, i + 1);
      } else if (!look.found) {
        out.push(encodeVarbind(oidContents(vb.oid), Buffer.from([look.tag, 0])));
      }
    }
    return fit(req, ErrorStatus.noError, 0, out, maxSize, counters);
  } catch (err) {
    if (err instanceof Failed) return fail(err.status, err.index);
    throw err;
  }
}

function read(look: Extract<Lookup, { found: true }>, at: number, counters: EngineCounters): Buffer {
  try {
    return look.read();
  } catch {
    // An EncodeError, or a view that threw: either way the value cannot be sent.
    counters.encodeErrors++;
    throw new Failed(ErrorStatus.genErr, at + 1);
  }
}

/** Encodes a GET/GETNEXT/SET response, falling back to tooBig when it does not fit. */
function fit(
  req: RequestMessage,
  status: number,
  at: number,
  varbinds: Buffer[],
  maxSize: number,
  counters: EngineCounters,
): Buffer | null {
  const msg = encodeResponse(req, status, at, varbinds);
  if (msg.length <= maxSize) return msg;
  // RFC 3416 §4.2.1: tooBig with an empty list; RFC 1157: the request's varbinds.
  const small = encodeResponse(req, ErrorStatus.tooBig, 0, req.version === Version.v1 ? req.pdu.varbinds.map((v) => v.raw) : []);
  if (small.length <= maxSize) return small;
  counters.silentDrops++;
  return null;
}

/** GETBULK (RFC 3416 §4.2.3): N + M x R varbinds, cut to what fits in maxSize, and ended once all repeaters are. */
function bulk(index: OidIndex, req: RequestMessage, maxSize: number, counters: EngineCounters, view?: MibView): Buffer | null {
  const vbs = req.pdu.varbinds;
  const n = Math.min(Math.max(req.pdu.a, 0), vbs.length);
  const m = Math.max(req.pdu.b, 0);
  const r = vbs.length - n;
  const size = responseSizer(req);
  const out: Buffer[] = [];
  let used = 0;
  const push = (vb: Buffer): boolean => {
    if (size(used + vb.length) > maxSize) return false;
    out.push(vb);
    used += vb.length;
    return true;
  };
  const step = (oid: readonly number[], at: number): { vb: Buffer; oid: readonly number[]; end: boolean } => {
    const look = nextInView(index, oid, view);
    if (look.found) return { vb: encodeVarbind(look.oidBytes, read(look, at, counters)), oid: look.oid, end: false };
    return { vb: encodeVarbind(oidContents(oid), Buffer.from([Tag.EndOfMibView, 0])), oid, end: true };
  };
  done: {
    for (let i = 0; i < n; i++) if (!push(step(vbs[i]!.oid, i).vb)) break done;
    const last = vbs.slice(n).map((v) => v.oid as readonly number[]);
    const ended = new Array<boolean>(r).fill(false);
    for (let rep = 0; rep < m && r > 0; rep++) {
      for (let j = 0; j < r; j++) {
        let vb: Buffer;
        if (ended[j]) {
          vb = encodeVarbind(oidContents(last[j]!), Buffer.from([Tag.EndOfMibView, 0]));
        } else {
          const s = step(last[j]!, n + j);
          vb = s.vb;
          last[j] = s.oid;
          ended[j] = s.end;
        }
        if (!push(vb)) break done;
      }
      // Once every repeater has reached the end, more repetitions would only repeat
      // endOfMibView: stop, as Net-SNMP does (a 37-byte request must not buy 64 KB).
      if (ended.every(Boolean)) break;
      // Smallest possible varbind: stop early once nothing more can fit.
      if (size(used + tlvSize(4)) > maxSize) break;
    }
  }
  const msg = encodeResponse(req, ErrorStatus.noError, 0, out);
  // Only when even an empty response is too big (an enormous community string).
  if (msg.length > maxSize) {
    counters.silentDrops++;
    return null;
  }
  return msg;
}
