// Postfix log lines -> model updates. Pure: no I/O, no timers, no wall clock (times are
// the lines' own). docs/postfix.md lists which line moves which MIB column.
//
// One application (an MTA) per Postfix instance: applName "<syslog_name> MTA on <host>".
// One group per Postfix service (groups.ts names and describes them, outcomes.ts adds
// them). In-flight state (queued messages, open smtpd and postscreen sessions) is kept
// per instance and can be snapshotted as JSON. Delivery and reject lines are counted
// by outcomes.ts; this file dispatches every line and counts the rest.
//
// MTA totals (mtaTable) count mail crossing the MTA's boundary once:
// - received: a message is received when qmgr first logs `from=, size=, nrcpt=` for a
//   queue id whose arrival (smtpd/qmqpd `client=`, pickup `uid=`) was seen. Messages the
//   MTA makes itself (bounces, local forwarding, address probes) are not received.
//   A message arriving through the content filter's re-injection service is counted on
//   that inbound group but NOT in the totals: the original arrival already was.
// - transmitted: counted by outcomes.ts, whose header gives the rules.

import os from 'node:os';
import type { Application, Channel, MailSystem } from '../../model/mail-system.js';
import type { ParsedLine } from './events.js';
import { ContentFilter } from './groups.js';
import { LineParser, type ParseOptions } from './parse.js';
import { Instance, instanceState, loadInstance, Msg, sweepInstance } from './inflight.js';
import { endScreen, Outcomes } from './outcomes.js';
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

export class PostfixLog {
  stats: PostfixLogStats = { lines: 0, postfixLines: 0, unparsed: {} };
  private readonly parser = new LineParser();
  private readonly parseOpts: ParseOptions;
  private readonly filter: ContentFilter;
  private readonly outcomes: Outcomes;
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
    this.outcomes = new Outcomes(model, this.filter);
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
        const group = this.outcomes.inboundGroup(p, ev.client.addr);
        const ch = this.outcomes.inbound(inst, group, t);
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
        else this.outcomes.inboundActivity(inst, this.outcomes.inbound(inst, this.outcomes.inboundGroup(p, ev.client.addr), t), t);
        if (ev.kind === 'lost' && ev.qid) {
          const m = inst.messages.get(ev.qid);
          if (m && !m.counted) inst.messages.delete(ev.qid);
        }
        return;
      }
      case 'client': {
        const group = inst.sessions.get(p.pid)?.group ?? this.outcomes.inboundGroup(p, ev.client.addr);
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
            const ch = this.outcomes.inbound(inst, m.group, t);
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
        const ch = this.outcomes.outbound(inst, m?.lastGroup ?? 'qmgr', undefined, t);
        this.model.countError(ch, m?.lastDsn ?? '4.4.7', 'outbound');
        return;
      }
      case 'delivery':
        this.outcomes.delivery(inst, p, ev);
        return;
      case 'reject':
        this.outcomes.reject(inst, p, ev);
        return;
      case 'screen-connect': {
        const group = p.service ? `${p.service}/${p.daemon}` : p.daemon;
        const key = `${group} [${ev.client.addr}]:${ev.client.port ?? ''}`;
        const ch = this.outcomes.inbound(inst, group, t);
        if (!inst.screens.has(key)) {
          inst.screens.set(key, { group, t, rejected: false });
          ch.inboundAssociations++;
        }
        ch.accumulatedInboundAssociations++;
        this.outcomes.inboundActivity(inst, ch, t);
        return;
      }
      case 'screen-end':
      case 'screen-note': {
        const group = p.service ? `${p.service}/${p.daemon}` : p.daemon;
        const ch = this.outcomes.inbound(inst, group, t);
        if (ev.kind === 'screen-end') endScreen(inst, `${group} [${ev.client.addr}]:${ev.client.port ?? ''}`);
        this.outcomes.inboundActivity(inst, ch, t);
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
    this.outcomes.inboundActivity(inst, this.outcomes.inbound(inst, group, t), t);
  }

  // -- sessions -----------------------------------------------------------------------------

  private endSession(inst: Instance, pid: number, s: SessionState, t: number): void {
    inst.sessions.delete(pid);
    this.model.closeAssociation(inst.app, s.assoc, t);
  }

  /** master started or stopped: every session of the instance is gone. */
  private endAll(inst: Instance, t: number): void {
    for (const [pid, s] of inst.sessions) this.endSession(inst, pid, s, t);
    for (const key of [...inst.screens.keys()]) endScreen(inst, key);
  }

  private sweep(t: number): void {
    this.nextSweep = t + SWEEP_EVERY;
    for (const inst of this.instances.values()) {
      sweepInstance(inst, t, (pid, s) => this.endSession(inst, pid, s, t), (key) => endScreen(inst, key));
    }
  }

  // -- instances -----------------------------------------------------------------------------

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

  /**
   * Continues from a snapshot, into a model that holds the counters checkpointed with it
   * (src/model/persist.ts). Open sessions get their association rows back (with their
   * old index when it is free) and the inbound-association gauges of these MTAs are
   * recounted from the open sessions. Call it before the first line.
   */
  restore(s: PostfixLogState): void {
    if (s.version !== 1) throw new Error(`unknown PostfixLog state version ${String(s.version)}`);
    this.instances.clear();
    this.last = undefined;
    this.lastSyslog = '';
    this.stats = { lines: s.stats.lines, postfixLines: s.stats.postfixLines, unparsed: { ...s.stats.unparsed } };
    this.nextSweep = s.nextSweep;
    for (const is of s.instances) {
      const inst = this.instanceFor(is.syslogName, is.host);
      loadInstance(this.model, inst, is, (name, t) => this.outcomes.inbound(inst, name, t));
    }
  }
}
