// The delivery and reject lines' bookkeeping, for PostfixLog (apply.ts): what they count
// on the groups (mtaGroupTable rows) and the MTA totals, and the group lookups shared
// with apply.ts. Pure, like apply.ts: times are the lines' own.
//
// MTA totals (mtaTable), transmitted side (the received side is described in apply.ts):
// - transmitted: each status=sent counts one recipient; the first one of a message on a
//   group also counts the message and its size. Not in the totals: deliveries on a
//   group listed as feeding the content filter, deliveries whose reply says
//   "queued as QID" of a message that came back through the re-injection service
//   (the hand-over to the filter), and local's "forwarded as QID" (the new message's
//   own delivery is the transmission). Groups count all their traffic.

import type { Channel, MailSystem } from '../../model/mail-system.js';
import type { DeliveryEvent, ParsedLine, RejectEvent } from './events.js';
import { inboundSpec, outboundSpec, type ContentFilter, type GroupSpec } from './groups.js';
import { isConnectFailure, queuedAs } from './fields.js';
import type { PostfixChannelCounters } from './imsimta.js';
import { Msg, type Instance } from './inflight.js';

const DSN = /^[45]\.\d{1,3}\.\d{1,3}$/;
/** RFC 3463 X.4.6, routing loop detected: `mail forwarding loop for ...`, `mail for ... loops back to myself` */
const LOOP_DSN = /^[45]\.4\.6$/;
/** delivery agents and qmgr: their groups are named by their service (or themselves) */
const OUTBOUND_DAEMONS = new Set(['smtp', 'lmtp', 'local', 'virtual', 'error', 'discard', 'qmgr']);
/** at most this many groups per MTA: made-up program names must not add rows without end */
const MAX_GROUPS = 256;

const ONE_RECIPIENT = { recipients: 1 } as const;

/** Thrown by Outcomes.inbound/outbound instead of adding a group past MAX_GROUPS (PostfixLog counts the line). */
export const GROUP_LIMIT = new Error('too many groups');

/** An IP address in Postfix's `name[addr]` notation, or leading the text (`1.2.3.4: hostname x verification failed`). */
const PEER = /\[(?:[0-9]{1,3}\.){3}[0-9]{1,3}\]|\[[0-9a-fA-F]*:[0-9a-fA-F:.]*\]|^(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b|^[0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F:.]*\b/;

/**
 * Is this warning about a remote client or server rather than the MTA itself? It names the
 * peer's address (`non-SMTP command from unknown[192.0.2.7]: ...`, `192.0.2.7: address not
 * listed for hostname x`) or a name that does not resolve (`hostname x does not resolve to
 * address ...`), or is about the TLS handshake with the peer.
 */
export function peerWarning(text: string): boolean {
  return PEER.test(text) || text.startsWith('hostname ') || text.startsWith('TLS library problem');
}

/** A postscreen session is over: it no longer holds an inbound association of its group. */
export function endScreen(inst: Instance, key: string): void {
  const s = inst.screens.get(key);
  if (!s) return;
  inst.screens.delete(key);
  const ch = inst.channels.get(s.group);
  if (ch) ch.inboundAssociations = Math.max(0, ch.inboundAssociations - 1);
}

/** One per PostfixLog: counts delivery and reject lines, and finds or adds the groups of its instances. */
export class Outcomes {
  constructor(
    private readonly model: MailSystem,
    private readonly filter: ContentFilter,
    private readonly counters: PostfixChannelCounters,
    private readonly groupUrls: Readonly<Record<string, string>> = {},
  ) {}

  delivery(inst: Instance, p: ParsedLine, ev: DeliveryEvent): void {
    if (ev.status === 'deliverable' || ev.status === 'undeliverable') return; // address probes
    const t = p.time;
    let m = inst.messages.get(ev.qid);
    if (!m) inst.messages.set(ev.qid, (m = new Msg(t, undefined, true, false)));
    m.t = t;
    const d = p.daemon;
    const app = inst.app;
    let name: string;
    if (d === 'qmgr') name = m.lastGroup ?? 'qmgr';
    else if (d === 'pipe') name = ev.relay && ev.relay !== 'none' ? ev.relay : (p.service ?? d);
    else name = p.service ?? d;
    const ch = this.outbound(inst, name, d === 'qmgr' ? undefined : d, t);
    const failed = ev.status !== 'sent';
    if (d !== 'qmgr') {
      ch.lastOutboundActivity = t;
      app.lastOutboundActivity = t;
      if (m.pid !== p.pid || m.lastGroup !== name || m.relay !== ev.relay) {
        // a new delivery attempt (the lines of one attempt share agent pid, group and relay)
        m.pid = p.pid;
        m.relay = ev.relay;
        m.attempt = 0;
        ch.lastOutboundAssociationAttempt = t;
        if (d === 'smtp' || d === 'lmtp') {
          if (ev.relay !== 'none' && !(ev.connUse !== undefined && ev.connUse > 1)) {
            ch.accumulatedOutboundAssociations++;
            app.accumulatedOutboundAssociations++;
            this.counters.association(inst, ch, false, t);
          }
          if (failed && isConnectFailure(ev.detail)) {
            ch.failedOutboundAssociations++;
            app.failedOutboundAssociations++;
            ch.outboundConnectFailureReason = ev.detail;
          }
        }
      }
    }
    this.counters.delivery(inst, ch, name, m, ev, t);
    if (LOOP_DSN.test(ev.dsn)) this.model.countOutcome(inst.app, ch, 'loopsDetected');
    m.lastGroup = name;
    if (failed) {
      if (DSN.test(ev.dsn)) {
        this.countError(ch, ev.dsn, 'outbound');
        m.lastDsn = ev.dsn;
      }
      return;
    }
    // each recipient sent counts; the message and its size once per group
    const first = !m.sent?.includes(name);
    if (first) (m.sent ??= []).push(name);
    const traffic = first ? { messages: 1, volume: m.size, recipients: 1 } : ONE_RECIPIENT;
    if (this.excluded(inst, d, name, ev.detail)) this.model.countGroupTraffic(ch, 'transmitted', traffic);
    else this.model.countTraffic(app, ch, 'transmitted', traffic);
  }

  /** Is this successful delivery a hand-over inside the MTA rather than a transmission? */
  private excluded(inst: Instance, daemon: string, group: string, detail: string): boolean {
    if (daemon === 'local' && detail.startsWith('forwarded as ')) return true;
    if (this.filter.empty) return false;
    if (this.filter.feeds(group)) return true;
    if (inst.reinjected.size === 0) return false;
    const q = queuedAs(detail);
    return q !== undefined && inst.reinjected.has(q);
  }

  reject(inst: Instance, p: ParsedLine, ev: RejectEvent): void {
    const t = p.time;
    const d = p.daemon;
    const screen = d === 'postscreen';
    let group: string | undefined;
    if (screen || d === 'smtpd' || d === 'qmqpd') {
      group = (screen ? undefined : inst.sessions.get(p.pid)?.group) ?? this.inboundGroup(p, ev.client?.addr);
    } else if (ev.qid) group = inst.messages.get(ev.qid)?.group;
    const session = d === 'smtpd' || d === 'qmqpd' ? inst.sessions.get(p.pid) : undefined;
    const st = ev.stage;
    if (ev.qid && (d === 'cleanup' || st === 'header' || st === 'body' || st === 'END-OF-MESSAGE' || st === 'DATA' || st === 'BDAT')) {
      inst.messages.delete(ev.qid); // the message itself was refused: it will not be queued
    }
    if (group === undefined) return; // a content check on a message whose arrival was not seen
    const ch = this.inbound(inst, group, t);
    ch.rejectedMessages++;
    ch.inboundRejectionReason = ev.reply;
    this.inboundActivity(inst, ch, t);
    this.counters.rejected(inst, ch, ev, d, session, t);
    // no code at all: cleanup's refusals are permanent (`reject: mime-error ...`); others count nothing
    const code = ev.dsn ?? (ev.smtpCode !== undefined ? `${Math.floor(ev.smtpCode / 100)}.0.0` : d === 'cleanup' ? '5.0.0' : undefined);
    if (code !== undefined && DSN.test(code)) this.countError(ch, code, 'inbound');
    let refused = ev.stage === 'CONNECT';
    if (screen && ev.client) {
      const key = `${group} [${ev.client.addr}]:${ev.client.port ?? ''}`;
      const s = inst.screens.get(key);
      // postscreen: the first refusal of a session refuses the association
      if (s) {
        refused = !s.rejected;
        s.rejected = true;
      } else refused = true;
      if (ev.stage === 'CONNECT') endScreen(inst, key);
    }
    if (refused) {
      ch.rejectedInboundAssociations++;
      inst.app.rejectedInboundAssociations++;
    }
  }

  /**
   * A warning:, error:, fatal: or panic: line of a service that is a group (smtpd, smtp,
   * local, qmgr, ...): mtaGroupInternalErrorCount under 4.3.0, the code Postfix itself gives
   * its internal trouble ("451 4.3.0 Error: queue file write error"). Lines of programs
   * that are no group (master, cleanup, trivial-rewrite, ...) count nowhere, nor do
   * warnings about a remote peer (peerWarning()): the peer's doing, not the MTA's.
   */
  internalError(inst: Instance, p: ParsedLine, t: number): void {
    if (p.event.kind !== 'log' || (p.event.severity === 'warning' && peerWarning(p.event.text))) return;
    const d = p.daemon;
    let ch: Channel | undefined;
    if (d === 'smtpd' || d === 'qmqpd' || d === 'postscreen' || d === 'pickup') ch = this.inbound(inst, this.inboundGroup(p, undefined), t);
    else if (OUTBOUND_DAEMONS.has(d)) ch = this.outbound(inst, p.service ?? d, d, t);
    if (ch) this.model.countError(ch, '4.3.0', 'internal');
  }

  /** model.countError (which caps the codes per group). */
  countError(ch: Channel, code: string, direction: 'inbound' | 'outbound'): void {
    this.model.countError(ch, code, direction);
  }

  // -- groups -------------------------------------------------------------------------------

  /** The inbound group of an smtpd-like line: the program minus syslog_name, or the content filter's listener. */
  inboundGroup(p: ParsedLine, addr: string | undefined): string {
    if (p.service) return `${p.service}/${p.daemon}`;
    if (addr !== undefined && p.daemon === 'smtpd') return this.filter.groupForClient(addr) ?? p.daemon;
    return p.daemon;
  }

  inbound(inst: Instance, name: string, t: number): Channel {
    return inst.channels.get(name) ?? this.addGroup(inst, name, inboundSpec(name, this.filter), t);
  }

  outbound(inst: Instance, name: string, daemon: string | undefined, t: number): Channel {
    return inst.channels.get(name) ?? this.addGroup(inst, name, outboundSpec(name, daemon, this.filter), t);
  }

  private addGroup(inst: Instance, name: string, spec: GroupSpec, t: number): Channel {
    if (inst.channels.size >= MAX_GROUPS) throw GROUP_LIMIT;
    const ch = this.model.addChannel(inst.app, name, { ...spec, url: this.groupUrls[name] ?? '', createdAt: t });
    inst.channels.set(name, ch);
    return ch;
  }

  inboundActivity(inst: Instance, ch: Channel, t: number): void {
    ch.lastInboundActivity = t;
    inst.app.lastInboundActivity = t;
  }
}
