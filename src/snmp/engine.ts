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
import { DEFAULT_BULK_CAPS, planBulk, walkBulk, type BulkCaps } from './bulk.js';
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
 * at any size (counted as a silent drop). Work stops as soon as the response can no
 * longer fit in `maxSize`: a GET of 9,000 varbinds costs the lookups that fit, not 9,000.
 */
export function answer(
  index: OidIndex,
  req: RequestMessage,
  maxSize: number,
  counters: EngineCounters,
  view?: MibView,
  caps: BulkCaps = DEFAULT_BULK_CAPS,
): Buffer | null {
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
    if (pdu.type === Tag.GetBulkRequest) return bulk(index, req, maxSize, counters, view, caps);
    const size = responseSizer(req);
    // The least each varbind's answer can take (its OID for a GET; for a GETNEXT the
    // shortest instance we serve, or its own OID with endOfMibView), with a 2-octet value:
    // when even that does not fit, nothing is looked up. (v1 may owe noSuchName instead.)
    if (!v1) {
      let least = 0;
      const next = index.minInstanceOidLength;
      for (const vb of pdu.varbinds) least += tlvSize(tlvSize(pdu.type === Tag.GetRequest ? vb.oidLength : Math.min(next, vb.oidLength)) + 2);
      if (size(least) > maxSize) return fit(req, ErrorStatus.tooBig, 0, [], maxSize, counters);
    }
    const out: Buffer[] = [];
    let used = 0;
    for (let i = 0; i < pdu.varbinds.length; i++) {
      const vb = pdu.varbinds[i]!;
      const look: Lookup =
        pdu.type === Tag.GetRequest
          ? getInView(index, vb.oid, view)
          : nextInView(index, vb.oid, view, v1 ? skipCounter64 : undefined);
      let enc: Buffer;
      if (look.found && !(v1 && look.entry.counter64)) {
        enc = encodeVarbind(look.oidBytes, read(look, i, counters));
      } else if (v1) {
        return fail(ErrorStatus.noSuchName, i + 1);
      } else if (!look.found) {
        enc = encodeVarbind(oidContents(vb.oid), Buffer.from([look.tag, 0]));
      } else continue;
      used += enc.length;
      // Already too big: the answer is tooBig whatever the other varbinds hold.
      if (size(used) > maxSize) return fit(req, ErrorStatus.tooBig, 0, [], maxSize, counters);
      out.push(enc);
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
  if (status !== ErrorStatus.tooBig) {
    const msg = encodeResponse(req, status, at, varbinds);
    if (msg.length <= maxSize) return msg;
  }
  // RFC 3416 §4.2.1: tooBig with an empty list; RFC 1157: the request's varbinds.
  const small = encodeResponse(req, ErrorStatus.tooBig, 0, req.version === Version.v1 ? req.pdu.varbinds.map((v) => v.raw) : []);
  if (small.length <= maxSize) return small;
  counters.silentDrops++;
  return null;
}

const END_OF_MIB_VIEW = Buffer.from([Tag.EndOfMibView, 0]);

/** GETBULK (RFC 3416 §4.2.3): N + M x R varbinds (M within the caps), cut to what fits in maxSize. */
function bulk(index: OidIndex, req: RequestMessage, maxSize: number, counters: EngineCounters, view: MibView | undefined, caps: BulkCaps): Buffer | null {
  const vbs = req.pdu.varbinds;
  const plan = planBulk(vbs.length, req.pdu.a, req.pdu.b, caps);
  const size = responseSizer(req);
  const out: Buffer[] = [];
  let used = 0;
  let pending: Buffer | undefined;
  walkBulk<readonly number[]>(vbs.map((v) => v.oid), plan, {
    next(oid, at) {
      const look = nextInView(index, oid, view);
      if (look.found) {
        pending = encodeVarbind(look.oidBytes, read(look, at, counters));
        return look.oid;
      }
      pending = encodeVarbind(oidContents(oid), END_OF_MIB_VIEW);
      return undefined;
    },
    ended(oid) {
      pending = encodeVarbind(oidContents(oid), END_OF_MIB_VIEW);
    },
    fits() {
      const vb = pending!;
      if (size(used + vb.length) > maxSize) return false;
      out.push(vb);
      used += vb.length;
      return true;
    },
    // the smallest possible varbind: stop once not even that could fit
    roundDone: () => size(used + tlvSize(4)) <= maxSize,
  });
  const msg = encodeResponse(req, ErrorStatus.noError, 0, out);
  // Only when even an empty response is too big (an enormous community string).
  if (msg.length > maxSize) {
    counters.silentDrops++;
    return null;
  }
  return msg;
}
