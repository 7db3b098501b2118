// Exim's SMTP connections as associations (assocTable, mtaGroupAssociationTable), and its
// refusals. A connection opens with `SMTP connection from [addr]:port ... (TCP/IP connection
// count = N)` (log_selector +smtp_connection) and closes with `closed by QUIT`, `closed by
// DROP in ACL`, `lost`, a timeout or `SMTP call from ... dropped`. The daemon logs the opening
// and the child that serves the client the close, so the two meet by the client's address
// and port (+incoming_port), or by address alone, oldest first.

import type { Application, AssociationType, Channel, MailSystem } from '../../model/mail-system.js';
import { rejectionCode } from './errors.js';
import type { ConnectEvent, DisconnectEvent, Host, RejectEvent } from './events.js';
import type { EximSessionState } from './state.js';

/** An open connection older than this (log time) lost its close line: it is closed. */
const SESSION_TTL = 6 * 3600_000;
/** Most connections kept open per client key (a flood of openings without closes cannot grow it). */
const MAX_PER_KEY = 64;

const keyOf = (h: Host): string => (h.port === undefined ? h.addr : `${h.addr}:${h.port}`);

export class Sessions {
  private readonly open = new Map<string, EximSessionState[]>();

  constructor(
    private readonly model: MailSystem,
    private readonly app: Application,
    private readonly inbound: (name: string, t: number) => Channel | undefined,
  ) {}

  connect(ev: ConnectEvent, t: number, group: string): boolean {
    const ch = this.inbound(group, t);
    if (!ch) return false;
    const a = this.model.openAssociation(this.app, {
      remoteApplication: ev.host.addr,
      protocol: ch.protocol,
      type: assocType(group),
      startedAt: t,
      channel: ch.index,
    });
    const key = keyOf(ev.host);
    const list = this.open.get(key) ?? [];
    list.push({ assoc: a.index, group, addr: ev.host.addr, t });
    if (list.length > MAX_PER_KEY) this.close(list.shift()!, t);
    this.open.set(key, list);
    return true;
  }

  disconnect(ev: DisconnectEvent, t: number): boolean {
    const key = keyOf(ev.host);
    const list = this.open.get(key);
    const s = list?.shift();
    if (list && list.length === 0) this.open.delete(key);
    // closing sets the last inbound activity of the group and the MTA
    if (s) this.close(s, t);
    return true;
  }

  private close(s: EximSessionState, t: number): void {
    this.model.closeAssociation(this.app, s.assoc, t);
  }

  /**
   * A refusal. RCPT, MAIL, DATA and other commands: one rejected message on the session's
   * group, its text as the group's last rejection reason; a refused connection: one
   * rejected association; EHLO and AUTH refusals only in the error table. Every refusal
   * counts in mtaGroupErrorTable (errors.ts: rejectionCode).
   */
  reject(ev: RejectEvent, t: number, group: string): boolean {
    const ch = this.inbound(group, t);
    if (!ch) return false;
    this.model.countError(ch, rejectionCode(ev), 'inbound');
    if (ev.stage === 'connect') {
      ch.rejectedInboundAssociations++;
      this.app.rejectedInboundAssociations++;
    } else if (ev.stage !== 'helo' && ev.stage !== 'auth') {
      ch.rejectedMessages++;
      ch.inboundRejectionReason = ev.reason;
    }
    ch.lastInboundActivity = t;
    this.app.lastInboundActivity = t;
    return true;
  }

  /** Closes connections whose end was never logged. */
  sweep(now: number): void {
    for (const [key, list] of this.open) {
      while (list.length > 0 && now - list[0]!.t > SESSION_TTL) this.close(list.shift()!, now);
      if (list.length === 0) this.open.delete(key);
    }
  }

  state(): Record<string, EximSessionState[]> {
    return Object.fromEntries([...this.open].map(([k, l]) => [k, l.map((s) => ({ ...s }))]));
  }

  /** Back from a checkpoint: the association rows again (model checkpoints keep none), and the gauges. */
  load(saved: Record<string, EximSessionState[]>): void {
    for (const [key, list] of Object.entries(saved)) {
      const out: EximSessionState[] = [];
      for (const s of list) {
        const ch = this.inbound(s.group, s.t);
        if (!ch) continue;
        let index = s.assoc;
        if (this.app.associations.has(index)) for (index = 1; this.app.associations.has(index); index++);
        this.app.associations.set(index, { index, remoteApplication: s.addr, protocol: ch.protocol, type: assocType(s.group), startedAt: s.t, channel: ch.index });
        out.push({ ...s, assoc: index });
      }
      if (out.length > 0) this.open.set(key, out);
    }
    this.model.changed();
    // the inbound gauges are the connections open now
    const per = new Map<number, number>();
    let total = 0;
    for (const a of this.app.associations.values()) {
      if (a.type !== 'peerresponder' && a.type !== 'uaresponder') continue;
      total++;
      if (a.channel !== undefined) per.set(a.channel, (per.get(a.channel) ?? 0) + 1);
    }
    this.app.inboundAssociations = total;
    for (const ch of this.app.mta?.channels.values() ?? []) ch.inboundAssociations = per.get(ch.index) ?? 0;
  }
}

/** Submission clients are user agents (RFC 2788 uaresponder); other SMTP clients are MTAs. */
function assocType(group: string): AssociationType {
  return group === 'submission' || group === 'smtps' ? 'uaresponder' : 'peerresponder';
}
