// The imsimta channel counters (model/channel-counters.ts) for Postfix's groups, with the
// meanings they have for the Messaging Server (docs/sun-mta.md, docs/postfix.md "imsimta
// counters"): what `madman counters show` prints and MADMAN-MIB's madmanChannels serves.
//
// - Submitted: enqueued BY the group: qmgr's first `from=, size=, nrcpt=` of a message that
//   arrived through an inbound group (as Sun's SMTP server enqueues to other channels).
// - Received: enqueued TO the group: a recipient's first delivery line on an outbound group
//   (Postfix picks the transport at delivery, so that is when the message is known to be
//   queued for it); the message counts with its first recipient there.
// - Delivered: `status=sent`, the message with its first one on the group; its first-time
//   deliveries and queue times (delay=) go with it.
// - Stored: Received less Delivered, as for Sun (bounced recipients stay in it).
// - Attempted: `status=deferred` lines (Sun's Q), the message once per delivery attempt.
// - Failed: `status=bounced` / `expired` lines and qmgr's `status=expired, returned to
//   sender` (Sun's R), the message once per attempt.
// - Rejected: refusals of an enqueue (MAIL, RCPT, DATA and content stages; not CONNECT,
//   HELO or postscreen's pre-greeting verdicts); a session's RCPT refusals with the same
//   sender are one message, each refusal one recipient.
// - In/Out Assocs: smtpd (and postscreen) connections, outbound connections as
//   mtaGroupAccumulatedOutboundAssociations counts them.
// Blocks are 1024 octets of qmgr's size=, rounded up per message; 0 for refusals (no size).

import { addTo, channelCountersOf, resetCounters, type ChannelCounterBook, type ChannelCounters, type CounterKind } from '../../model/channel-counters.js';
import type { Channel, MailSystem } from '../../model/mail-system.js';
import type { DeliveryEvent, RejectEvent } from './events.js';
import type { Instance, Msg } from './inflight.js';
import type { SessionState } from './state.js';

/** Stages at which a refusal refuses an enqueue (not the connection or the greeting). */
const ENQUEUE_STAGES = new Set(['MAIL', 'RCPT', 'DATA', 'BDAT', 'END-OF-MESSAGE', 'header', 'body']);
/** Attempt flags of a message (Msg.attempt): this attempt has counted its message as Attempted / Failed. */
const ATTEMPTED = 1;
const FAILED = 2;

const blocksOf = (octets: number): number => Math.ceil(octets / 1024);

/** What the Postfix source keeps of its channel counters in its checkpoint. */
export interface PostfixCountersState {
  counters: ChannelCounters[];
  since?: number;
  clearSeq: number;
}

export class PostfixChannelCounters {
  private readonly book: ChannelCounterBook;
  /** when counting began (the first line) or the counters were last cleared */
  private since?: number;
  clearSeq = 0;

  constructor(private readonly model: MailSystem) {
    this.book = channelCountersOf(model);
  }

  /** The group's counters, made (counting from `since`) on first use. */
  of(inst: Instance, ch: Channel, t: number): ChannelCounters {
    this.since ??= t;
    return this.book.of(inst.app.index, ch.index, ch.name, this.since);
  }

  private add(inst: Instance, ch: Channel, kind: CounterKind, msgs: number, rcpts: number, blocks: number, t: number): void {
    addTo(this.of(inst, ch, t), kind, msgs, rcpts, blocks);
  }

  /** qmgr's first line of a message that arrived through inbound group `ch`. */
  submitted(inst: Instance, ch: Channel, size: number, nrcpt: number, t: number): void {
    this.add(inst, ch, 'submitted', 1, nrcpt, blocksOf(size), t);
  }

  /**
   * A delivery line on outbound group `ch` (named `group`), after outcomes.ts has decided
   * whether it starts a new attempt (`m.attempt` reset then) and before it records the
   * line's group in `m.sent`.
   */
  delivery(inst: Instance, ch: Channel, group: string, m: Msg, ev: DeliveryEvent, t: number): void {
    const blocks = blocksOf(m.size);
    const rcpt = m.pendingRcpts ? `${group}\0${ev.to}\0${ev.origTo ?? ''}` : undefined;
    // a recipient deferred earlier on this group was received then
    const again = rcpt !== undefined && m.pendingRcpts!.has(rcpt);
    if (!again) {
      const first = !m.rcvd?.includes(group);
      if (first) (m.rcvd ??= []).push(group);
      this.add(inst, ch, 'received', first ? 1 : 0, 1, first ? blocks : 0, t);
      this.add(inst, ch, 'stored', first ? 1 : 0, 1, first ? blocks : 0, t);
    }
    if (ev.status === 'deferred') {
      (m.pendingRcpts ??= new Set()).add(rcpt ?? `${group}\0${ev.to}\0${ev.origTo ?? ''}`);
      if (!m.deferredOn?.includes(group)) (m.deferredOn ??= []).push(group);
      m.deferredAt = t;
      const msg = m.attempt & ATTEMPTED ? 0 : 1;
      m.attempt |= ATTEMPTED;
      this.add(inst, ch, 'attempted', msg, 1, msg ? blocks : 0, t);
      return;
    }
    if (again) m.pendingRcpts!.delete(rcpt!);
    if (m.pendingRcpts?.size === 0) m.pendingRcpts = undefined;
    if (ev.status === 'sent') {
      const first = !m.sent?.includes(group);
      this.add(inst, ch, 'delivered', first ? 1 : 0, 1, first ? blocks : 0, t);
      this.add(inst, ch, 'stored', first ? -1 : 0, -1, first ? -blocks : 0, t);
      if (!first) return;
      const c = this.of(inst, ch, t);
      const secs = Math.round(ev.delay ?? 0);
      c.queueSeconds += secs;
      c.queueCount++;
      if (m.deferredOn?.includes(group)) return;
      c.deliveredFirstTime++;
      c.queueFirstSeconds += secs;
      c.queueFirstCount++;
      return;
    }
    // bounced or expired
    const msg = m.attempt & FAILED ? 0 : 1;
    m.attempt |= FAILED;
    this.add(inst, ch, 'failed', msg, 1, msg ? blocks : 0, t);
  }

  /** qmgr's `status=expired, returned to sender`: the recipients still deferred fail with the message. */
  expired(inst: Instance, ch: Channel, m: Msg | undefined, t: number): void {
    const rcpts = m?.pendingRcpts?.size ?? 0;
    if (m) m.pendingRcpts = undefined;
    this.add(inst, ch, 'failed', 1, rcpts, m ? blocksOf(m.size) : 0, t);
  }

  /** A refusal on inbound group `ch`; `s` is the smtpd session it happened in, when known. */
  rejected(inst: Instance, ch: Channel, ev: RejectEvent, daemon: string, s: SessionState | undefined, t: number): void {
    if (!ENQUEUE_STAGES.has(ev.stage) && daemon !== 'cleanup') return;
    let msg = 1;
    if (ev.stage === 'RCPT' && s) {
      // one transaction's refused recipients: the same sender since the session's last message
      const from = ev.from ?? '';
      if (s.rejectFrom === from) msg = 0;
      s.rejectFrom = from;
    } else if (s) s.rejectFrom = undefined;
    this.add(inst, ch, 'rejected', msg, 1, 0, t);
  }

  /** An association opened on group `ch` (inbound or outbound). */
  association(inst: Instance, ch: Channel, inbound: boolean, t: number): void {
    const c = this.of(inst, ch, t);
    if (inbound) c.inAssocs++;
    else c.outAssocs++;
  }

  /** `madman counters clear`: zeroes every Postfix group's counters (MTA-MIB's stay). */
  clear(seq: number, at: number, apps: ReadonlySet<number>): void {
    this.clearSeq = seq;
    this.since = at;
    for (const c of this.book.values()) if (apps.has(c.app)) resetCounters(c, at);
  }

  snapshot(apps: ReadonlySet<number>): PostfixCountersState {
    const s: PostfixCountersState = { counters: [...this.book.values()].filter((c) => apps.has(c.app)).map((c) => structuredClone(c)), clearSeq: this.clearSeq };
    if (this.since !== undefined) s.since = this.since;
    return s;
  }

  /** Puts saved counters back on their groups: same application index, group found by name. */
  restore(s: PostfixCountersState): void {
    this.since = s.since;
    this.clearSeq = s.clearSeq;
    for (const c of s.counters) {
      const app = this.model.applications.get(c.app);
      for (const ch of app?.mta?.channels.values() ?? []) if (ch.name === c.name) this.book.load(c, c.app, ch.index);
    }
  }
}
