// Before the socket opens: read the first instance of every object (which sorts every
// table and runs every value encoder once) and answer a few thousand requests of each
// kind, so that the first requests from a manager meet compiled code and sorted rows
// instead of the interpreter and a first sort (a fresh agent lost requests in its first
// seconds under load while it warmed up). The requests are answered before the sources
// start (nothing else then runs on the event loop: a probe timing a server would count
// the warm-up in the server's response time); the rows the sources bring are sorted
// once they have started (readFirstInstances).

import { Tag, encodeInteger, encodeOid, tlv } from './ber.js';
import { DEFAULT_BULK_CAPS, type BulkCaps } from './bulk.js';
import { answer } from './engine.js';
import { decodeMessage } from './message.js';
import type { OidIndex } from './oid-index.js';

/** The request kinds a manager sends, over the first instances served. */
function requests(oids: ReadonlyArray<readonly number[]>): Buffer[] {
  const list = (xs: ReadonlyArray<readonly number[]>) => tlv(Tag.Sequence, xs.map((o) => tlv(Tag.Sequence, [encodeOid(o), Buffer.from([Tag.Null, 0])])));
  const msg = (version: number, pdu: number, a: number, b: number, xs: ReadonlyArray<readonly number[]>) =>
    tlv(Tag.Sequence, [encodeInteger(version), tlv(Tag.OctetString, Buffer.from('warm-up')), tlv(pdu, [encodeInteger(0x1234567), encodeInteger(a), encodeInteger(b), list(xs)])]);
  const few = oids.slice(0, 3);
  return [
    msg(1, Tag.GetRequest, 0, 0, few),
    msg(0, Tag.GetRequest, 0, 0, few),
    msg(1, Tag.GetNextRequest, 0, 0, few),
    msg(1, Tag.GetBulkRequest, 0, 10, [oids[0]!]),
    msg(1, Tag.GetBulkRequest, 1, 5, few),
  ];
}

/**
 * Warms the serving paths up; returns how many requests were answered and how long it
 * took. Counts nothing in the agent's statistics and changes nothing in the model.
 */
export function warmUp(index: OidIndex, opts: { maxMs?: number; rounds?: number; caps?: BulkCaps } = {}): { requests: number; ms: number } {
  const t0 = performance.now();
  const first = readFirstInstances(index).slice(0, 3);
  if (first.length === 0) return { requests: 0, ms: performance.now() - t0 };
  const scratch = { encodeErrors: 0, silentDrops: 0 };
  const reqs = requests(first);
  // ~2,000 requests, 15-30 ms of CPU; the wall-clock bound only matters on a starved machine
  const maxMs = opts.maxMs ?? 250;
  const rounds = opts.rounds ?? 400;
  let n = 0;
  for (let r = 0; r < rounds && performance.now() - t0 < maxMs; r++) {
    for (const buf of reqs) {
      answer(index, decodeMessage(buf), 65507, scratch, undefined, opts.caps ?? DEFAULT_BULK_CAPS);
      n++;
    }
  }
  return { requests: n, ms: performance.now() - t0 };
}

/** Reads the first instance of every object (sorting every table); returns their OIDs. */
export function readFirstInstances(index: OidIndex): Array<readonly number[]> {
  const first: Array<readonly number[]> = [];
  for (const e of index.objects) {
    try {
      const look = index.next(e.oid);
      if (!look.found) continue;
      look.read();
      first.push(look.oid);
    } catch {
      // a value that cannot be encoded is the engine's to report, when it is asked for
    }
  }
  return first;
}
