// The Sendmail log reader's in-flight state, kept in its checkpoint so that a restart
// (kill -9 included) resumes exactly: the SMTP sessions whose daemon the log has not named
// yet (sendmail writes daemon= only at the end of a transaction, after its refusals), and
// the messages whose deliveries are still to come (their size, way in, deferrals, loops),
// and the imsimta counters.

import type { ChannelCounters } from '../../model/channel-counters.js';

/** An inbound event of a session, held until the session's daemon is known. */
export interface Pending {
  kind: 'reject' | 'discard' | 'auth-failure' | 'refused-connection' | 'internal';
  t: number;
  qid?: string;
  /** enhanced status code counted in the error table */
  code?: string;
  /** the reply, for mtaGroupInboundRejectionReason */
  reply?: string;
}

/** One SMTP server process (one connection), by pid. */
export interface Session {
  daemon?: string;
  /** its association was counted (on its daemon's group) */
  counted?: boolean;
  pending: Pending[];
  /** transactions already counted as refused (sendmail's msgsrej: one per transaction) */
  refused: string[];
  /** transactions that ended without a message (lost input, collect error): their from= line is no arrival */
  aborted: string[];
}

/** A message seen arriving (or made by sendmail: a DSN), until it leaves the reader's memory. */
export interface Message {
  /** octets (from=); absent for DSNs, whose size the log does not give */
  size?: number;
  /** its inbound group */
  group: string;
  /** a delivery of it was deferred: later deliveries are not first-time */
  deferred?: boolean;
  /** its loop was counted */
  loop?: boolean;
  /** recipients not yet delivered or failed (the entry goes when none is left) */
  left?: number;
}

/** What the reader adds to the checkpoint (under the key `sendmail`). */
export interface SendmailState {
  sendmail: {
    version: 1;
    /** the MTA's applName (the checkpoint's application) */
    appName: string;
    sessions: Array<[number, Session]>;
    messages: Array<[string, Message]>;
    /** imsimta counters of the MTA's groups (the model snapshot does not hold them) */
    counters: ChannelCounters[];
    /** the last `madman counters clear` applied */
    clearSeq: number;
  };
}

/** sessions remembered at most (the oldest are attributed and forgotten first) */
export const MAX_SESSIONS = 10_000;
/** messages remembered at most (the oldest are forgotten first) */
export const MAX_MESSAGES = 100_000;
/** queue ids remembered per session */
export const MAX_SESSION_QIDS = 64;

/** Checks a checkpoint's `sendmail` key. */
export function isSendmailState(v: Record<string, unknown>): boolean {
  const s = v.sendmail as Record<string, unknown> | undefined;
  return (
    typeof s === 'object' && s !== null && s.version === 1 && typeof s.appName === 'string' && Array.isArray(s.sessions) && Array.isArray(s.messages) && Array.isArray(s.counters) && typeof s.clearSeq === 'number'
  );
}

/**
 * A Map with a size limit: past it, the oldest eighth (by first insertion) is dropped at
 * once. Dropping in batches keeps the cost low: a Map's iteration from its start skips
 * the slots of deleted entries, so dropping one entry per insertion would cost O(n) each.
 */
export class Bounded<K, V> {
  readonly map = new Map<K, V>();
  constructor(
    private readonly limit: number,
    private readonly evicted?: (k: K, v: V) => void,
  ) {}

  get(k: K): V | undefined {
    return this.map.get(k);
  }

  set(k: K, v: V): void {
    this.map.set(k, v);
    if (this.map.size <= this.limit) return;
    let n = Math.max(1, Math.floor(this.limit / 8));
    for (const [ok, ov] of this.map) {
      if (n-- <= 0) break;
      this.map.delete(ok);
      this.evicted?.(ok, ov);
    }
  }

  delete(k: K): void {
    this.map.delete(k);
  }
}

/** Adds `qid` to a session's bounded list. */
export function remember(list: string[], qid: string): void {
  if (list.includes(qid)) return;
  list.push(qid);
  if (list.length > MAX_SESSION_QIDS) list.shift();
}
