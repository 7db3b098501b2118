// Answers the master's Get, GetNext and GetBulk (RFC 2741 §7.2.3) from the same OID
// index the UDP agent serves, limited to the subtrees this session registered and to
// each search range: [start, end), start itself only when `include` is set.

import { compareOid, isPrefix, type Oid } from '../oid.js';
import { planBulk, walkBulk, type BulkCaps } from '../bulk.js';
import type { IndexEntry, Lookup, OidIndex } from '../oid-index.js';
import type { Ids, Request } from './messages.js';
import { AgentxError, HEADER_SIZE, MAX_PAYLOAD, PduType, PduWriter, VbType, type SearchRange } from './pdu.js';

export interface ResponderOptions {
  index: OidIndex;
  /** registered subtrees: only objects inside them are answered */
  subtrees: ReadonlyArray<readonly number[]>;
  /** sysUpTime in centiseconds for the Response header, read after beginRequest */
  uptime: () => number;
  /** fixes the clock for one request (as the UDP agent does) */
  beginRequest?: () => void;
  /** a value that failed to encode (counted as madmanAgentEncodeErrors) */
  onEncodeError?: (name: string, err: Error) => void;
  /** GetBulk caps (snmpd.conf's maxGetbulkRepeats, maxGetbulkResponses); snmpd's defaults without */
  caps?: BulkCaps;
}

class ValueFailed {
  constructor(readonly at: number) {}
}

type Found = Extract<Lookup, { found: true }>;

export class Responder {
  private readonly ours: Set<IndexEntry>;
  private readonly skip: (e: IndexEntry) => boolean;

  constructor(private readonly o: ResponderOptions) {
    this.ours = new Set(o.index.objects.filter((e) => o.subtrees.some((s) => isPrefix(s, e.oid))));
    this.skip = (e) => !this.ours.has(e);
  }

  /** The Response PDU for one request; never throws for what the request contains. */
  answer(ids: Ids, req: Request): Buffer {
    this.o.beginRequest?.();
    const w = new PduWriter(64 + req.ranges.length * 64);
    w.u32(this.o.uptime()).u16(0).u16(0);
    try {
      if (req.type === PduType.GetBulk) this.bulk(w, req.nonRepeaters, req.maxRepetitions, req.ranges);
      else {
        for (let i = 0; i < req.ranges.length; i++) {
          const r = req.ranges[i]!;
          if (req.type === PduType.Get) this.get(w, r, i);
          else this.next(w, r, i);
        }
      }
    } catch (err) {
      if (!(err instanceof ValueFailed)) throw err;
      // §7.2.3: genErr names the failing varbind; the master turns it into the SNMP error.
      const e = new PduWriter(32);
      e.u32(this.o.uptime()).u16(AgentxError.genErr).u16(err.at + 1);
      return e.finish(PduType.Response, ids);
    }
    return w.finish(PduType.Response, ids);
  }

  private get(w: PduWriter, r: SearchRange, at: number): void {
    const look = this.o.index.get(r.start);
    if (look.found && this.ours.has(look.entry)) return this.put(w, look, at);
    const type = look.found ? VbType.NoSuchObject : look.tag;
    w.emptyVarbind(type, r.start);
  }

  /** Writes the first instance in the range and returns its OID, or endOfMibView and undefined. */
  private next(w: PduWriter, r: { start: Oid; include: boolean; end: Oid }, at: number): Oid | undefined {
    const look = this.find(r.start, r.include, r.end);
    if (!look) {
      w.emptyVarbind(VbType.EndOfMibView, r.start);
      return undefined;
    }
    this.put(w, look, at);
    return look.oid;
  }

  private find(start: Oid, include: boolean, end: Oid): Found | undefined {
    const { index } = this.o;
    if (include) {
      const exact = index.get(start);
      if (exact.found && this.ours.has(exact.entry)) return exact;
    }
    const look = index.next(start, this.skip);
    if (!look.found) return undefined;
    if (end.length > 0 && compareOid(look.oid, end) >= 0) return undefined;
    return look;
  }

  private put(w: PduWriter, look: Found, at: number): void {
    const mark = w.length;
    try {
      w.varbindFromBer(look.oid, look.read());
    } catch (err) {
      w.truncate(mark);
      this.o.onEncodeError?.(look.entry.name, err as Error);
      throw new ValueFailed(at);
    }
  }

  /** GetBulk (§7.2.3.3): planned with the caps and walked as the UDP engine does (../bulk.ts). */
  private bulk(w: PduWriter, nonRepeaters: number, maxRepetitions: number, ranges: SearchRange[]): void {
    const plan = planBulk(ranges.length, nonRepeaters, maxRepetitions, this.o.caps);
    type Range = { start: Oid; include: boolean; end: Oid };
    let mark = w.length;
    walkBulk<Range>(ranges, plan, {
      next: (r, at) => {
        const got = this.next(w, r, at);
        return got && { start: got, include: false, end: r.end };
      },
      ended: (r) => {
        w.emptyVarbind(VbType.EndOfMibView, r.start);
      },
      fits: () => true,
      // Keep whole rounds within the largest payload a master reads (RFC 2741 §7.2.3.3
      // allows a shorter response than asked for).
      roundDone: () => {
        if (w.length - HEADER_SIZE > MAX_PAYLOAD) {
          w.truncate(mark);
          return false;
        }
        mark = w.length;
        return true;
      },
    });
  }
}
