// Postfix log lines -> model updates. Pure: no I/O, no timers, no wall clock (times are
// the lines' own). docs/postfix.md lists which line moves which MIB column.
//
// One application (an MTA) per Postfix instance: applName "<syslog_name> MTA on <host>".
// One group per Postfix service (groups.ts). In-flight state (queued messages, open
// smtpd and postscreen sessions) is kept per instance and can be snapshotted as JSON.
//
// MTA totals (mtaTable) count mail crossing the MTA's boundary once:
// - received: a message is received when qmgr first logs `from=, size=, nrcpt=` for a
//   queue id whose arrival (smtpd/qmqpd `client=`, pickup `uid=`) was seen. Messages the
//   MTA makes itself (bounces, local forwarding, address probes) are not received.
//   A message arriving through the content filter's re-injection service is counted on
//   that inbound group but NOT in the totals: the original arrival already was.
// - transmitted: each status=sent counts one recipient; the first one of a message on a
//   group also counts the message and its size. Not in the totals: deliveries on a
//   group listed as feeding the content filter, deliveries whose reply says
//   "queued as QID" of a message that came back through the re-injection service
//   (the hand-over to the filter), and local's "forwarded as QID" (the new message's
//   own delivery is the transmission). Groups count all their traffic.

import os from 'node:os';
import type { Application, Channel, MailSystem } from '../../model/mail-system.js';
import type { DeliveryEvent, ParsedLine, RejectEvent } from './events.js';
import { ContentFilter, inboundSpec, outboundSpec, type GroupSpec } from './groups.js';
import { LineParser, type ParseOptions } from './parse.js';
import { isConnectFailure, queuedAs } from './fields.js';
import { Instance, instanceState, loadInstance, Msg, sweepInstance } from './inflight.js';
import type { PostfixLogState, PostfixLogStats, SessionState } from './state.js';

export type { PostfixLogState, PostfixLogStats } from './state.js';

export interface PostfixLogOptions {
  /** the <host> of applName; default: the lines' host field, else this machine's name */
  hostname?: string;
  /** the content-filter loop: HOST:PORT of the re-injecting smtpd, or group names (groups.ts) */
  contentFilterServices?: string[];
  /** year of BSD timestamps; default inferred from the wall clock */
  year?: number;
}

const SWEEP_EVERY = 10 * 60_000;

const DSN = /^[45]\.\d{1,3}\.\d{1,3}$/;

export class PostfixLog {
  stats: PostfixLogStats = { lines: 0, postfixLines: 0, unparsed: {} };
  private readonly parser = new LineParser();
  private readonly parseOpts: ParseOptions;
  private readonly filter: ContentFilter;
  private readonly hostname?: string;
  private readonly instances = new Map<string, Instance>();
  private nextSweep = 0;
  private lastSyslog = '';
  private lastHost: string | undefined = '';
  private last: Instance | undefined;

  constructor(
    private readonly model: MailSystem,
    opts: PostfixLogOptions = {},
  ) {
    this.hostname = opts.hostname;
    this.filter = new ContentFilter(opts.contentFilterServices);
    this.parseOpts = opts.year === undefined ? {} : { year: opts.year };
  }

  /** Parses and applies one log line; lines of other programs are only counted. */
  line(text: string): void {
    this.stats.lines++;
    const p = this.parser.parseLine(text, this.parseOpts);
    if (p) this.apply(p);
  }

  apply(p: ParsedLine): void {
    this.stats.postfixLines++;
    const t = p.time;
    if (t >= this.nextSweep) this.sweep(t);
    const inst = this.instance(p);
    const ev = p.event;
    switch (ev.kind) {
      case 'connect': {
        const old = inst.sessions.get(p.pid);
        if (old) this.endSession(inst, p.pid, old, t);
        const group = this.inboundGroup(p, ev.client.addr);
        const ch = this.inbound(inst, group, t);
        const a = this.model.openAssociation(inst.app, {
          remoteApplication: ev.client.addr,
          protocol: ch.protocol,
          type: 'peerresponder',
          startedAt: t,
          channel: ch.index,
        });
        inst.sessions.set(p.pid, { assoc: a.index, group, addr: ev.client.addr, t });
        return;
      }
      case 'disconnect':
      case 'lost': {
        const s = inst.sessions.get(p.pid);
        if (s) this.endSession(inst, p.pid, s, t);
        else this.inboundActivity(inst, this.inbound(inst, this.inboundGroup(p, ev.client.addr), t), t);
        if (ev.kind === 'lost' && ev.qid) {
          const m = inst.messages.get(ev.qid);
          if (m && !m.counted) inst.messages.delete(ev.qid);
        }
        return;
      }
      case 'client': {
        const group = inst.sessions.get(p.pid)?.group ?? this.inboundGroup(p, ev.client.addr);
        this.arrival(inst, ev.qid, group, t);
        return;
      }
      case 'pickup':
        this.arrival(inst, ev.qid, p.service ? `${p.service}/${p.daemon}` : p.daemon, t);
        return;
      case 'message-id': {
        const m = inst.messages.get(ev.qid);
        if (m) m.t = t;
        return;
      }
      case 'queued': {
        let m = inst.messages.get(ev.qid);
        if (!m) inst.messages.set(ev.qid, (m = new Msg(t, undefined, true, false)));
        else if (!m.counted) {
          m.counted = true;
          if (m.group !== undefined) {
            const ch = this.inbound(inst, m.group, t);
            ch.receivedMessages++;
            ch.receivedVolume += ev.size;
            ch.receivedRecipients += ev.nrcpt;
            if (!m.filtered) {
              const c = inst.totals;
              c.receivedMessages++;
              c.receivedVolume += ev.size;
              c.receivedRecipients += ev.nrcpt;
            }
          }
        }
        m.t = t;
        m.size = ev.size;
        m.nrcpt = ev.nrcpt;
        m.pid = 0; // a new delivery round
        m.relay = '';
        return;
      }
      case 'removed':
        inst.messages.delete(ev.qid);
        return;
      case 'expired': {
        const m = inst.messages.get(ev.qid);
        const ch = this.outbound(inst, m?.lastGroup ?? 'qmgr', undefined, t);
        this.model.countError(ch, m?.lastDsn ?? '4.4.7', 'outbound');
        return;
      }
      case 'delivery':
        this.delivery(inst, p, ev);
        return;
      case 'reject':
        this.reject(inst, p, ev);
        return;
      case 'screen-connect': {
        const group = p.service ? `${p.service}/${p.daemon}` : p.daemon;
        const key = `${group} [${ev.client.addr}]:${ev.client.port ?? ''}`;
        const ch = this.inbound(inst, group, t);
        if (!inst.screens.has(key)) {
          inst.screens.set(key, { group, t, rejected: false });
          ch.inboundAssociations++;
        }
        ch.accumulatedInboundAssociations++;
        this.inboundActivity(inst, ch, t);
        return;
      }
      case 'screen-end':
      case 'screen-note': {
        const group = p.service ? `${p.service}/${p.daemon}` : p.daemon;
        const ch = this.inbound(inst, group, t);
        if (ev.kind === 'screen-end') this.endScreen(inst, `${group} [${ev.client.addr}]:${ev.client.port ?? ''}`);
        this.inboundActivity(inst, ch, t);
        return;
      }
      case 'master-start': {
        const app = inst.app;
        app.version = `Postfix ${ev.version}`;
        if (!ev.reload) {
          this.endAll(inst, t);
          app.startedAt = t;
          app.operStatus = 'up';
          app.lastChange = t;
        }
        return;
      }
      case 'master-stop':
        this.endAll(inst, t);
        inst.app.operStatus = 'down';
        inst.app.lastChange = t;
        return;
      case 'unparsed':
        this.stats.unparsed[p.program] = (this.stats.unparsed[p.program] ?? 0) + 1;
        return;
      case 'action':
      case 'notification':
      case 'log':
      case 'info':
        return;
    }
  }

  private arrival(inst: Instance, qid: string, group: string, t: number): void {
    const filtered = this.filter.reinjects(group);
    inst.messages.set(qid, new Msg(t, group, false, filtered));
    if (filtered) inst.reinjected.set(qid, t);
    this.inboundActivity(inst, this.inbound(inst, group, t), t);
  }

  private delivery(inst: Instance, p: ParsedLine, ev: DeliveryEvent): void {
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
        ch.lastOutboundAssociationAttempt = t;
        if (d === 'smtp' || d === 'lmtp') {
          if (ev.relay !== 'none' && !(ev.connUse !== undefined && ev.connUse > 1)) {
            ch.accumulatedOutboundAssociations++;
            app.accumulatedOutboundAssociations++;
          }
          if (failed && isConnectFailure(ev.detail)) {
            ch.failedOutboundAssociations++;
            app.failedOutboundAssociations++;
            ch.outboundConnectFailureReason = ev.detail;
          }
        }
      }
    }
    m.lastGroup = name;
    if (failed) {
      if (DSN.test(ev.dsn)) {
        this.model.countError(ch, ev.dsn, 'outbound');
        m.lastDsn = ev.dsn;
      }
      return;
    }
    const total = !this.excluded(inst, d, name, ev.detail);
    const c = inst.totals;
    ch.transmittedRecipients++;
    if (total) c.transmittedRecipients++;
    if (m.sent?.includes(name)) return;
    (m.sent ??= []).push(name);
    ch.transmittedMessages++;
    ch.transmittedVolume += m.size;
    if (total) {
      c.transmittedMessages++;
      c.transmittedVolume += m.size;
    }
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

  private reject(inst: Instance, p: ParsedLine, ev: RejectEvent): void {
    const t = p.time;
    const d = p.daemon;
    const screen = d === 'postscreen';
    let group: string | undefined;
    if (screen || d === 'smtpd' || d === 'qmqpd') {
      group = (screen ? undefined : inst.sessions.get(p.pid)?.group) ?? this.inboundGroup(p, ev.client?.addr);
    } else if (ev.qid) group = inst.messages.get(ev.qid)?.group;
    if (ev.qid && (ev.stage === 'header' || ev.stage === 'body' || ev.stage === 'END-OF-MESSAGE' || ev.stage === 'DATA' || ev.stage === 'BDAT')) {
      inst.messages.delete(ev.qid); // the message itself was refused: it will not be queued
    }
    if (group === undefined) return; // a content check on a message whose arrival was not seen
    const ch = this.inbound(inst, group, t);
    ch.rejectedMessages++;
    ch.inboundRejectionReason = ev.reply;
    this.inboundActivity(inst, ch, t);
    const code = ev.dsn ?? (ev.smtpCode !== undefined ? `${Math.floor(ev.smtpCode / 100)}.0.0` : undefined);
    if (code !== undefined && DSN.test(code)) this.model.countError(ch, code, 'inbound');
    let refused = ev.stage === 'CONNECT';
    if (screen && ev.client) {
      const key = `${group} [${ev.client.addr}]:${ev.client.port ?? ''}`;
      const s = inst.screens.get(key);
      // postscreen: the first refusal of a session refuses the association
      if (s) {
        refused = !s.rejected;
        s.rejected = true;
      } else refused = true;
      if (ev.stage === 'CONNECT') this.endScreen(inst, key);
    }
    if (refused) {
      ch.rejectedInboundAssociations++;
      inst.app.rejectedInboundAssociations++;
    }
  }

  // -- sessions -----------------------------------------------------------------------------

  private endSession(inst: Instance, pid: number, s: SessionState, t: number): void {
    inst.sessions.delete(pid);
    this.model.closeAssociation(inst.app, s.assoc, t);
  }

  private endScreen(inst: Instance, key: string): void {
    const s = inst.screens.get(key);
    if (!s) return;
    inst.screens.delete(key);
    const ch = inst.channels.get(s.group);
    if (ch) ch.inboundAssociations = Math.max(0, ch.inboundAssociations - 1);
  }

  /** master started or stopped: every session of the instance is gone. */
  private endAll(inst: Instance, t: number): void {
    for (const [pid, s] of inst.sessions) this.endSession(inst, pid, s, t);
    for (const key of [...inst.screens.keys()]) this.endScreen(inst, key);
  }

  private sweep(t: number): void {
    this.nextSweep = t + SWEEP_EVERY;
    for (const inst of this.instances.values()) {
      sweepInstance(inst, t, (pid, s) => this.endSession(inst, pid, s, t), (key) => this.endScreen(inst, key));
    }
  }

  // -- instances and groups -----------------------------------------------------------------

  private instance(p: ParsedLine): Instance {
    if (p.syslogName === this.lastSyslog && p.host === this.lastHost && this.last) return this.last;
    const host = this.hostname ?? p.host ?? os.hostname();
    const inst = this.instanceFor(p.syslogName, host);
    this.lastSyslog = p.syslogName;
    this.lastHost = p.host;
    this.last = inst;
    return inst;
  }

  private instanceFor(syslogName: string, host: string): Instance {
    const name = `${syslogName} MTA on ${host}`;
    let inst = this.instances.get(name);
    if (!inst) {
      const app = this.model.addApplication(name, {
        description: `Postfix mail transfer agent (syslog_name ${syslogName}) on ${host}`,
        operStatus: 'up',
      });
      inst = new Instance(name, syslogName, host, app, this.model.mtaOf(app).counters);
      this.instances.set(name, inst);
    }
    return inst;
  }

  /** The inbound group of an smtpd-like line: the program minus syslog_name, or the content filter's listener. */
  private inboundGroup(p: ParsedLine, addr: string | undefined): string {
    if (p.service) return `${p.service}/${p.daemon}`;
    if (addr !== undefined && p.daemon === 'smtpd') return this.filter.groupForClient(addr) ?? p.daemon;
    return p.daemon;
  }

  private inbound(inst: Instance, name: string, t: number): Channel {
    return inst.channels.get(name) ?? this.addGroup(inst, name, inboundSpec(name, this.filter), t);
  }

  private outbound(inst: Instance, name: string, daemon: string | undefined, t: number): Channel {
    return inst.channels.get(name) ?? this.addGroup(inst, name, outboundSpec(name, daemon, this.filter), t);
  }

  private addGroup(inst: Instance, name: string, spec: GroupSpec, t: number): Channel {
    const ch = this.model.addChannel(inst.app, name, { ...spec, createdAt: t });
    inst.channels.set(name, ch);
    return ch;
  }

  private inboundActivity(inst: Instance, ch: Channel, t: number): void {
    ch.lastInboundActivity = t;
    inst.app.lastInboundActivity = t;
  }

  // -- checkpoints ----------------------------------------------------------------------------

  /** The in-flight state, as JSON-serialisable data. */
  snapshot(): PostfixLogState {
    return {
      version: 1,
      stats: { lines: this.stats.lines, postfixLines: this.stats.postfixLines, unparsed: { ...this.stats.unparsed } },
      nextSweep: this.nextSweep,
      instances: [...this.instances.values()].map(instanceState),
    };
  }

  /**
   * Continues from a snapshot, into a model that holds the counters checkpointed with it
   * (src/model/persist.ts). Open sessions get their association rows back (with their
   * old index when it is free) and the inbound-association gauges of these MTAs are
   * recounted from the open sessions. Call it before the first line.
   */
  /**
   * For the queue reader: the application of an instance (by syslog_name, else the
   * first one seen) and the group that last tried a queued message.
   */
  queueContext(syslogName?: string): { app: Application; groupOf: (qid: string) => Channel | undefined } | undefined {
    let inst: Instance | undefined;
    for (const i of this.instances.values()) {
      if (syslogName === undefined || i.syslogName === syslogName) {
        inst = i;
        break;
      }
    }
    if (!inst) return undefined;
    const found = inst;
    return {
      app: found.app,
      groupOf: (qid) => {
        const g = found.messages.get(qid)?.lastGroup;
        return g === undefined ? undefined : found.channels.get(g);
      },
    };
  }

  restore(s: PostfixLogState): void {
    if (s.version !== 1) throw new Error(`unknown PostfixLog state version ${String(s.version)}`);
    this.instances.clear();
    this.last = undefined;
    this.lastSyslog = '';
    this.stats = { lines: s.stats.lines, postfixLines: s.stats.postfixLines, unparsed: { ...s.stats.unparsed } };
    this.nextSweep = s.nextSweep;
    for (const is of s.instances) {
      const inst = this.instanceFor(is.syslogName, is.host);
      loadInstance(this.model, inst, is, (name, t) => this.inbound(inst, name, t));
    }
  }
}
