// Messaging Server MTA log records -> the model. Pure: no I/O, no timers, no wall clock
// (times are the records' own). One application (the MTA), one mtaGroup per channel;
// the imsimta counters go to model/channel-counters.ts. docs/sun-mta.md has the table of
// which record moves which counter.
//
// The log has one line per recipient: operations.ts tells which lines are one enqueue
// (or dequeue, or failure) of one message. The first such line counts the message and
// its blocks, every line a recipient.

import os from 'node:os';
import type { MtaDescription } from '../../config/mta-description.js';
import { addTo, channelCountersOf, resetCounters, type ChannelCounterBook, type ChannelCounters, type CounterKind } from '../../model/channel-counters.js';
import type { Application, Channel, MailSystem } from '../../model/mail-system.js';
import type { ConnectionRecord, MessageRecord } from './parse.js';
import { parseSunLine } from './parse.js';
import { Operations } from './operations.js';
import { SunQueue } from './queue.js';
import type { OpenConnection, Queued, SunLogState, SunLogStats } from './state.js';

export type { SunLogState, SunLogStats } from './state.js';

export const BLOCK_BYTES = 1024;
const SMTP = { transport: 'tcp' as const, port: 25 };
/** channels per MTA at most */
export const MAX_CHANNELS = 256;
/** mtaGroupHierarchy of every channel: together they are one breakdown of the MTA's traffic */
export const CHANNEL_HIERARCHY = -1;
/** the channel Messaging Server converts messages in (imta.cnf's conversion channel) */
export const CONVERSION_CHANNEL = 'conversion';
/** a failure record's own words that tell a connection could not be made */
const CONNECT_FAILURE = /failed connect\(\)|connect\(\) failed|connection refused|connection timed out|no route to host|network is unreachable|host is unreachable|connection reset/i;
/** a failure that names a routing loop: enhanced status code X.4.6 (RFC 3463), or the word */
const LOOP = /\bloop/i;
const CHANNEL_LIMIT = new Error('channel limit');

export class SunLog {
  stats: SunLogStats = { records: 0, actions: {}, unparsed: {} };
  readonly app: Application;
  private readonly book: ChannelCounterBook;
  private readonly channels = new Map<string, Channel>();
  /** which records are one operation on one message */
  private readonly operations = new Operations();
  /** each channel's counters, by channel name (the book's objects; cleared in place) */
  private countersByName = new Map<string, ChannelCounters>();
  private since?: number;
  clearSeq = 0;
  /** queued recipients and messages; keeps each channel's oldest message in the model */
  private readonly queue = new SunQueue((name) => this.channels.get(name));
  private open = new Map<string, OpenConnection>();

  constructor(
    private readonly model: MailSystem,
    readonly appName = `Messaging Server MTA on ${os.hostname()}`,
    private readonly described: MtaDescription = {},
  ) {
    this.app = model.addApplication(appName, { description: 'Sun/Oracle Messaging Server MTA (mail.log)', operStatus: 'up' });
    // from the configuration: the log names neither (a restored row takes them too)
    this.app.url = described.url ?? '';
    this.app.directoryName = described.directoryName ?? '';
    model.mtaOf(this.app);
    this.book = channelCountersOf(model);
  }

  /** Applies one log line; false when it was not understood (counted by reason in stats.unparsed). */
  line(text: string): boolean {
    const r = parseSunLine(text);
    if (r === undefined) return true;
    if (r.kind === 'unparsed') {
      this.stats.unparsed[r.reason] = (this.stats.unparsed[r.reason] ?? 0) + 1;
      return false;
    }
    this.since ??= r.time;
    try {
      if (r.kind === 'connection') this.connection(r);
      else this.message(r);
    } catch (e) {
      if (e !== CHANNEL_LIMIT) throw e;
      this.stats.unparsed['channel limit'] = (this.stats.unparsed['channel limit'] ?? 0) + 1;
      return false;
    }
    this.stats.records++;
    this.bumpAction(r.kind === 'connection' ? r.event : r.action);
    return true;
  }

  /** Unparsed lines in all. */
  unparsed(): number {
    let n = 0;
    for (const v of Object.values(this.stats.unparsed)) n += v ?? 0;
    return n;
  }

  private bumpAction(a: string): void {
    this.stats.actions[a] = (this.stats.actions[a] ?? 0) + 1;
  }

  private message(r: MessageRecord): void {
    const id = r.file ?? r.messageId ?? r.from;
    const op = this.operations.of(r);
    const first = this.operations.first;
    const msgs = first ? 1 : 0;
    const blocks = first ? r.blocks : 0;
    const octets = blocks * BLOCK_BYTES;
    switch (r.action) {
      case 'E': {
        const src = this.channel(r.source, r.time);
        const dst = this.channel(r.destination ?? r.source, r.time);
        this.add(src, 'submitted', msgs, blocks, r.time);
        this.add(dst, 'received', msgs, blocks, r.time);
        this.add(dst, 'stored', msgs, blocks, r.time);
        const traffic = { messages: msgs, volume: octets, recipients: 1 };
        this.model.countTraffic(this.app, dst, 'received', traffic);
        this.model.countTraffic(this.app, dst, 'stored', traffic);
        this.queue.add(dst, `${dst.name}\0${id}\0${r.origTo} ${r.to}`, r.time, `op${op}`, r.blocks, r.messageId ?? r.file ?? '');
        return;
      }
      case 'D': {
        const ch = this.channel(r.source, r.time);
        const q = this.queue.take(`${ch.name}\0${id}\0${r.origTo} ${r.to}`);
        if (first && this.timed(ch, q, r.time)) this.counters(ch, r.time).deliveredFirstTime++;
        this.dequeued(ch, q, msgs, blocks, r.time);
        this.add(ch, 'delivered', msgs, blocks, r.time);
        // imsimta's Stored is Received less Delivered (seed 27.8.5 note 3, example 27.8.6)
        this.add(ch, 'stored', -msgs, -blocks, r.time, -1);
        this.model.countTraffic(this.app, ch, 'transmitted', { messages: msgs, volume: octets, recipients: 1 });
        // the conversion channel dequeues what it converted (and enqueued onwards)
        if (ch.name === CONVERSION_CHANNEL) this.model.countOutcome(this.app, ch, 'successfulConvertedMessages', msgs);
        return;
      }
      case 'R':
      case 'K': {
        const ch = this.channel(r.source, r.time);
        const q = this.queue.take(`${ch.name}\0${id}\0${r.origTo} ${r.to}`);
        this.add(ch, 'failed', msgs, blocks, r.time);
        this.dequeued(ch, q, msgs, blocks, r.time);
        this.model.countError(ch, code(r.status, '5'), 'outbound');
        if (ch.name === CONVERSION_CHANNEL) this.model.countOutcome(this.app, ch, 'failedConvertedMessages', msgs);
        this.failure(ch, r);
        return;
      }
      case 'Q':
      case 'Z': {
        const ch = this.channel(r.source, r.time);
        const q = this.queue.get(`${ch.name}\0${id}\0${r.origTo} ${r.to}`);
        if (q) q.tries++;
        this.add(ch, 'attempted', msgs, blocks, r.time);
        this.model.countError(ch, code(r.status, '4'), 'outbound');
        this.failure(ch, r);
        return;
      }
      case 'J': {
        const ch = this.channel(r.source, r.time);
        this.add(ch, 'rejected', msgs, blocks, r.time);
        ch.rejectedMessages += msgs;
        if (r.diagnostic) ch.inboundRejectionReason = r.diagnostic;
        this.model.countError(ch, code(r.status, '5'), 'inbound');
        this.failure(ch, r);
        return;
      }
      case 'W':
      case 'B':
        return; // a warning sent, a bad SMTP command: no counter moves
    }
  }

  /**
   * What a failure record (R, K, Q, Z, J) says beyond its counts: a routing loop (status
   * X.4.6, or the word in its diagnostic: mtaLoopsDetected, one per recipient), and the
   * MTA's own words for a connection that could not be made (mtaGroupOutboundConnectFailureReason).
   */
  private failure(ch: Channel, r: MessageRecord): void {
    if (r.status?.endsWith('.4.6') || LOOP.test(r.diagnostic) || (r.note !== undefined && LOOP.test(r.note))) this.model.countOutcome(this.app, ch, 'loopsDetected');
    if (r.note !== undefined && CONNECT_FAILURE.test(r.note)) ch.outboundConnectFailureReason = r.note;
  }

  /**
   * A recipient left the channel's queue (D, R, K): MTA-MIB's stored gauges. Its message
   * leaves them with its last queued recipient; when its enqueue was not seen (queued before
   * counting began) each dequeue takes one message away; the gauges do not go below zero.
   * (imsimta's Stored counter is Received less Delivered, moved by E and D alone.)
   */
  private dequeued(ch: Channel, q: Queued | undefined, opMsgs: number, opBlocks: number, t: number): void {
    let msgs = opMsgs;
    let blocks = opBlocks;
    if (q) {
      const p = this.queue.release(q);
      msgs = p ? 1 : 0;
      blocks = p ? p.blocks : 0;
    }
    this.model.unstore(this.app, ch, { messages: msgs, volume: blocks * BLOCK_BYTES, recipients: 1 });
  }

  /** Queue time of a delivered message whose enqueue was seen; true if it went at the first attempt. */
  private timed(ch: Channel, q: Queued | undefined, t: number): boolean {
    if (!q) return false;
    const c = this.counters(ch, t);
    // whole seconds per delivery, as Sun keeps them (the difference of the two clocks in
    // seconds): totals are integers and total/count is the mean shown
    const secs = Math.max(0, Math.floor(t / 1000) - Math.floor(q.t / 1000));
    c.queueSeconds += secs;
    c.queueCount++;
    if (q.tries > 0) return false;
    c.queueFirstSeconds += secs;
    c.queueFirstCount++;
    return true;
  }

  /** One recipient line: `msgs` and `blocks` are 0 on a message's further lines. */
  private add(ch: Channel, kind: CounterKind, msgs: number, blocks: number, t: number, rcpts = 1): void {
    addTo(this.counters(ch, t), kind, msgs, rcpts, blocks);
  }

  private counters(ch: Channel, t: number): ChannelCounters {
    let c = this.countersByName.get(ch.name);
    if (!c) {
      c = this.book.of(this.app.index, ch.index, ch.name, this.since ?? t);
      this.countersByName.set(ch.name, c);
    }
    return c;
  }

  private connection(r: ConnectionRecord): void {
    const ch = this.channel(r.channel, r.time);
    const key = `${r.channel} ${r.inbound ? '+' : '-'} ${r.tuple.localAddr}|${r.tuple.localPort}|${r.tuple.remoteAddr}|${r.tuple.remotePort}`;
    switch (r.event) {
      case 'O': {
        const old = this.open.get(key);
        if (old) this.model.closeAssociation(this.app, old.assoc, r.time);
        const a = this.model.openAssociation(this.app, {
          remoteApplication: r.tuple.remoteAddr,
          protocol: SMTP,
          type: r.inbound ? 'peerresponder' : 'peerinitiator',
          startedAt: r.time,
          channel: ch.index,
        });
        this.open.set(key, { assoc: a.index, channel: ch.name, inbound: r.inbound, remote: r.tuple.remoteAddr, t: r.time });
        const c = this.counters(ch, r.time);
        if (r.inbound) c.inAssocs++;
        else {
          c.outAssocs++;
          ch.lastOutboundAssociationAttempt = r.time;
        }
        return;
      }
      case 'C': {
        const o = this.open.get(key);
        if (o) {
          this.open.delete(key);
          this.model.closeAssociation(this.app, o.assoc, r.time);
        }
        return;
      }
      case 'X':
      case 'Y':
        // the reason is what follows the application word (`SMTP`), when logged; without
        // it a failed connection's reason comes from the Q or Z records that follow (failure())
        if (r.inbound) {
          ch.rejectedInboundAssociations++;
          ch.lastInboundActivity = r.time;
          ch.inboundRejectionReason = r.diagnostic;
        } else {
          ch.failedOutboundAssociations++;
          ch.lastOutboundAssociationAttempt = r.time;
          ch.outboundConnectFailureReason = r.diagnostic;
        }
        return;
    }
  }

  private channel(name: string, t: number): Channel {
    let ch = this.channels.get(name);
    if (!ch) {
      // a garbled log must not add rows without end: past the cap, its lines are skipped
      if (this.channels.size >= MAX_CHANNELS) throw CHANNEL_LIMIT;
      ch = this.model.addChannel(this.app, name, {
        description: `Messaging Server channel ${name}`,
        ...(name.startsWith('tcp_') ? { protocol: SMTP } : {}),
        hierarchy: CHANNEL_HIERARCHY,
        url: this.described.groupUrls?.[name] ?? '',
        createdAt: t,
      });
      this.channels.set(name, ch);
    }
    return ch;
  }

  // -- counters clear -------------------------------------------------------------------------

  /** Zeroes the imsimta counters of every channel (MTA-MIB's stay: SNMP counters never go back). */
  clear(seq: number, at: number): void {
    this.clearSeq = seq;
    this.since = at;
    for (const c of this.book.values()) if (c.app === this.app.index) resetCounters(c, at);
  }

  // -- checkpoints ----------------------------------------------------------------------------

  /** Its keys of the LogSource's checkpoint (sun-mta.json). */
  state(): { log: SunLogState } {
    return { log: this.snapshot() };
  }

  snapshot(): SunLogState {
    const s: SunLogState = {
      version: 1,
      appName: this.appName,
      stats: structuredClone(this.stats),
      ...this.operations.snapshot(),
      clearSeq: this.clearSeq,
      ...this.queue.snapshot(),
      open: Object.fromEntries(this.open),
      counters: [...this.book.values()].filter((c) => c.app === this.app.index).map((c) => structuredClone(c)),
    };
    if (this.since !== undefined) s.since = this.since;
    return s;
  }

  /** Continues from a snapshot, into a model holding the MTA-MIB counters saved with it. */
  restore(s: SunLogState): void {
    if (s.version !== 1) throw new Error(`unknown SunLog state version ${String(s.version)}`);
    // checkpoints older than the source kit also hold the lines read (the LogSource counts them now)
    const { lines: _lines, ...stats } = s.stats as SunLogStats & { lines?: number };
    this.stats = structuredClone(stats);
    this.operations.restore(s.operations, s.operationSeq);
    this.countersByName.clear();
    for (const ch of this.app.mta!.channels.values()) {
      this.channels.set(ch.name, ch);
      // what the configuration says now (and a checkpoint from before the hierarchy was set)
      ch.hierarchy = CHANNEL_HIERARCHY;
      ch.url = this.described.groupUrls?.[ch.name] ?? '';
    }
    this.since = s.since;
    this.clearSeq = s.clearSeq;
    for (const c of s.counters) {
      const ch = this.channel(c.name, c.since);
      this.book.load(c, this.app.index, ch.index);
    }
    this.queue.restore(s.queued, s.pending, this.channels.keys());
    // Connections still open get their association rows back (model snapshots do not
    // keep them); accumulated counts are not bumped again, the open-now gauges recounted.
    this.open.clear();
    for (const [key, o] of Object.entries(s.open)) {
      const ch = this.channel(o.channel, o.t);
      let index = o.assoc;
      while (this.app.associations.has(index)) index++;
      const type = o.inbound ? 'peerresponder' : 'peerinitiator';
      this.app.associations.set(index, { index, remoteApplication: o.remote, protocol: SMTP, type, startedAt: o.t, channel: ch.index });
      this.open.set(key, { ...o, assoc: index });
    }
    this.recount();
    this.model.changed();
  }

  private recount(): void {
    const app = this.app;
    app.inboundAssociations = 0;
    app.outboundAssociations = 0;
    for (const ch of this.channels.values()) {
      ch.inboundAssociations = 0;
      ch.outboundAssociations = 0;
    }
    for (const o of this.open.values()) {
      const ch = this.channels.get(o.channel)!;
      if (o.inbound) {
        app.inboundAssociations++;
        ch.inboundAssociations++;
      } else {
        app.outboundAssociations++;
        ch.outboundAssociations++;
      }
    }
  }
}

/** The record's enhanced status code if it is of the expected class, else the class total. */
function code(status: string | undefined, cls: '4' | '5'): string {
  return status !== undefined && status.startsWith(cls) ? status : `${cls}.0.0`;
}
